// The context objects a stage's operators see: one RecordContext per compiled stage, set for each
// record (no allocation per record), and the `process` step's context that emits and rejects.

import type { ProcessContext, RecordHeaders, SourceRecord } from '../api/records.js';

/** The RecordContext every operator of a stage sees: one object, set for each record. */
export class StageContext {
  record!: SourceRecord;
  rejected: string | undefined;
  /** The record's event time (the source's extractor, or the Kafka timestamp). */
  eventTime = 0;
  /** The key a keyBy gave the value on its way (read by the keyed step after it). */
  currentKey = '';
  /** The wall clock for this record (the test driver's clock in a unit test). */
  now = 0;
  #key: string | null | undefined;

  set(record: SourceRecord): void {
    this.record = record;
    this.rejected = undefined;
    this.#key = undefined;
    this.eventTime = record.timestamp ?? 0;
  }

  /** Runs `fn` as if handling `record` (a timer's key and time on its triggering record). */
  as(record: SourceRecord, fn: () => void): void {
    const before = this.record;
    const key = this.#key;
    this.record = record;
    this.#key = undefined;
    try {
      fn();
    } finally {
      this.record = before;
      this.#key = key;
    }
  }

  get key(): string | null {
    if (this.#key === undefined) {
      const key = this.record.key;
      this.#key =
        key === null || key === undefined ? null : typeof key === 'string' ? key : key.toString('utf8');
    }
    return this.#key;
  }
  get timestamp(): number {
    return this.record.timestamp ?? 0;
  }
  get topic(): string {
    return this.record.topic;
  }
  get partition(): number {
    return this.record.partition;
  }
  get offset(): number {
    return this.record.offset;
  }
  get headers(): RecordHeaders {
    return this.record.headers ?? [];
  }
  header(name: string): string | undefined {
    for (const header of this.headers) {
      const value = header[name];
      if (value !== undefined) return typeof value === 'string' ? value : value.toString('utf8');
    }
    return undefined;
  }
}

export class StageProcessContext implements ProcessContext<unknown> {
  readonly #context: StageContext;
  readonly #next: (value: unknown) => void;

  constructor(context: StageContext, next: (value: unknown) => void) {
    this.#context = context;
    this.#next = next;
  }
  get key() {
    return this.#context.key;
  }
  get timestamp() {
    return this.#context.timestamp;
  }
  get topic() {
    return this.#context.topic;
  }
  get partition() {
    return this.#context.partition;
  }
  get offset() {
    return this.#context.offset;
  }
  get headers() {
    return this.#context.headers;
  }
  header(name: string) {
    return this.#context.header(name);
  }
  emit(value: unknown): void {
    this.#next(value);
  }
  deadLetter(reason: string): void {
    this.#context.rejected ??= reason;
  }
}
