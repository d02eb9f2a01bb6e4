// What a task says when its local state disk fails it (full, read-only, gone): a STATE_STORE_FAILED
// naming the directory, the cause and the space left, and what happens next. Nothing is lost by it:
// the state's committed writes are in the changelog before they are written here, so another
// TaskManager restores the task from there (Kafka Streams' answer to a failed state directory too:
// the thread dies, the task migrates).

import { statfsSync } from 'node:fs';
import { SluiceError } from '../../errors/sluice-error.js';

/**
 * LMDB fails a write transaction with 'Commit failed (see commitError for details)' and the real
 * cause (ENOSPC surfaces as an I/O error) in `commitError`, a promise that is rejected too: it is
 * read here, and handled, or it would end the process as an unhandled rejection.
 */
async function rootCause(error: unknown): Promise<string> {
  const commitError = (error as { commitError?: unknown } | null)?.commitError;
  if (commitError instanceof Promise) {
    const cause = await commitError.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (cause !== undefined) return describe(cause);
  }
  return describe(error);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && !error.message.includes(String(code))
    ? `${error.message} (${code})`
    : error.message;
}

/** "12 KiB free of 256 KiB", or nothing when the file system cannot be asked. */
export function spaceLeft(dir: string): string | undefined {
  try {
    const fs = statfsSync(dir);
    const kib = (blocks: number) => `${Math.floor((blocks * fs.bsize) / 1024).toLocaleString('en-US')} KiB`;
    return `${kib(fs.bavail)} free of ${kib(fs.blocks)}`;
  } catch {
    return undefined;
  }
}

/** A task's local state could not be written (or opened) in `dir`. */
export async function stateDiskError(
  task: string,
  dir: string,
  doing: string,
  error: unknown,
): Promise<SluiceError> {
  const space = spaceLeft(dir);
  return new SluiceError(
    'STATE_STORE_FAILED',
    `Task ${task} could not ${doing} in ${dir}: ${await rootCause(error)}${space ? ` (${space} on that disk)` : ''}. ` +
      'Its state is safe in the changelog: this TaskManager gives its partitions up and another one restores them. ' +
      'Free space on that disk, or set SLUICE_STATE_DIR to a larger one.',
    { cause: error, details: { task, dir } },
  );
}

export function isStateDiskError(error: unknown): error is SluiceError {
  return error instanceof SluiceError && error.code === 'STATE_STORE_FAILED';
}
