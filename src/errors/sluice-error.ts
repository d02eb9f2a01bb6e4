// The base of every error Sluice raises on purpose. The message says what failed, why, and what
// to do; `retriable` is read by retry loops; `exitCode` is what the CLI exits with.

import { ERROR_CODE_PREFIX, type ErrorCode, ErrorCodes } from './error-codes.js';

export interface SluiceErrorOptions {
  cause?: unknown;
  /** Structured facts for the JSON log (bootstrap address, variable name, ...). */
  details?: Record<string, unknown>;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly exitCode: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.retriable = ErrorCodes[code].retriable;
    this.exitCode = ErrorCodes[code].exitCode;
    this.details = options.details ?? {};
  }

  /** The code as it appears in logs and docs, e.g. SLUICE_ERR_KAFKA_NOT_READY. */
  get qualifiedCode(): string {
    return `${ERROR_CODE_PREFIX}${this.code}`;
  }
}

export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError;
}

/** A short description of any thrown value, for messages that wrap a cause. */
export function describeCause(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
