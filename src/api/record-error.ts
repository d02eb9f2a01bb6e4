// Why a record could not be processed: a closed list of codes, carried in the dead-letter record's
// headers so whoever reads the dead-letter topic can sort failures without parsing messages.

import { ZodError } from 'zod';

export const RecordErrorCodes = {
  /** The record's value is not valid JSON (or not valid for the job's deserializer). */
  RECORD_NOT_JSON: 'the value could not be parsed',
  /** The value parsed, but does not match the job's schema. */
  RECORD_SCHEMA_MISMATCH: "the value does not match the job's schema",
  /** The record has no value (a tombstone) and the job needs one. */
  RECORD_EMPTY: 'the record has no value',
  /** The job's own code threw on this record. */
  RECORD_PROCESSING_FAILED: "the job's code threw on the record",
} as const;

export type RecordErrorCode = keyof typeof RecordErrorCodes;

export interface RecordFailure {
  readonly code: RecordErrorCode;
  readonly message: string;
}

export function classifyRecordError(error: unknown, value: Buffer | null): RecordFailure {
  if (value === null || value.length === 0)
    return { code: 'RECORD_EMPTY', message: RecordErrorCodes.RECORD_EMPTY };
  if (error instanceof SyntaxError) return { code: 'RECORD_NOT_JSON', message: error.message };
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'value';
    return { code: 'RECORD_SCHEMA_MISMATCH', message: `${where}: ${issue?.message ?? error.message}` };
  }
  return {
    code: 'RECORD_PROCESSING_FAILED',
    message: error instanceof Error ? error.message : String(error),
  };
}
