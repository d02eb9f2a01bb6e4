// Why a record could not be processed: a closed list of codes, carried in the dead-letter record's
// headers so whoever reads the dead-letter topic can sort failures without parsing messages.

export const RecordErrorCodes = {
  /** The record's value is not valid JSON (or not valid for the job's deserializer). */
  RECORD_NOT_JSON: 'the value could not be parsed',
  /** The value parsed, but does not match the job's schema. */
  RECORD_SCHEMA_MISMATCH: "the value does not match the job's schema",
  /** The record has no value (a tombstone) and the job needs one. */
  RECORD_EMPTY: 'the record has no value',
  /** The job's own code threw on the record (an operator, a deserializer, a sink's serializer). */
  RECORD_PROCESSING_FAILED: "the job's code threw on the record",
  /** A `process` step sent the record to the dead-letter topic itself, with its reason. */
  RECORD_REJECTED: 'the job rejected the record',
  /** The record came after the windows (or state) it belongs to had closed: later than the grace allows. */
  RECORD_LATE: 'late',
  /** A sink refused the record's results with an error that retrying cannot mend. */
  RECORD_SINK_REFUSED: 'a sink refused the results permanently',
} as const;

export type RecordErrorCode = keyof typeof RecordErrorCodes;

export interface RecordFailure {
  readonly code: RecordErrorCode;
  readonly message: string;
}

/** What a thrown value says about a record. ZodError is recognised by shape: the job may bring its own zod. */
export function classifyRecordError(error: unknown, value: Buffer | null): RecordFailure {
  if (error instanceof Error && error.name === 'RecordLate')
    return { code: 'RECORD_LATE', message: error.message };
  if (error instanceof Error && error.name === 'RecordRejected')
    return { code: 'RECORD_REJECTED', message: error.message };
  if (value === null || value.length === 0 || (error instanceof Error && error.name === 'EmptyRecordError'))
    return { code: 'RECORD_EMPTY', message: RecordErrorCodes.RECORD_EMPTY };
  if (error instanceof SyntaxError) return { code: 'RECORD_NOT_JSON', message: error.message };
  if (isZodError(error)) {
    const issue = error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'value';
    return { code: 'RECORD_SCHEMA_MISMATCH', message: `${where}: ${issue?.message ?? error.message}` };
  }
  return {
    code: 'RECORD_PROCESSING_FAILED',
    message: error instanceof Error ? error.message : String(error),
  };
}

interface ZodLikeError extends Error {
  issues: { path: PropertyKey[]; message: string }[];
}

function isZodError(error: unknown): error is ZodLikeError {
  return error instanceof Error && error.name === 'ZodError' && Array.isArray((error as ZodLikeError).issues);
}
