// What a job's functions see of a record: the source record as Kafka delivered it, and the context
// object operators get beside each value (key, timestamp, where the record came from, headers).

/** A Kafka header as the client delivers it: one name, its raw bytes. */
export type RecordHeaders = readonly Readonly<Record<string, Buffer | string>>[];

/** A record as the source hands it to a job's deserializer. */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Buffer | string | null | undefined;
  readonly value: Buffer | null;
  /** The record's Kafka timestamp (epoch ms); undefined when the broker has none. */
  readonly timestamp: number | undefined;
  readonly headers?: RecordHeaders | undefined;
}

/**
 * Where the value an operator is looking at came from. One object is reused for every record of a
 * task (no allocation per record): read it during the call, do not keep it.
 */
export interface RecordContext {
  /** The source record's key as text (UTF-8), or null when it has none. */
  readonly key: string | null;
  /** The source record's Kafka timestamp (epoch ms), or 0 when it has none. */
  readonly timestamp: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The source record's headers, as Kafka delivered them. */
  readonly headers: RecordHeaders;
  /** A header's value as text, or undefined when the record has no such header. */
  header(name: string): string | undefined;
}

/** The context of a `process` step: a RecordContext that can also emit results and reject the record. */
export interface ProcessContext<U> extends RecordContext {
  /** Sends one result downstream; call it zero or more times per record. */
  emit(value: U): void;
  /**
   * Sends the input record to the dead-letter topic with this reason; nothing emitted for it
   * (on any branch of the job) is kept. The partition goes on with the next record.
   */
  deadLetter(reason: string): void;
}
