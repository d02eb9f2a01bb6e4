// A stage compiled into one function per source topic: deserialize, run the operators, encode each
// result for its sink, and collect it. The runtime's tasks and the test driver both run this, so a
// job behaves the same in a unit test as on the cluster. A record whose processing throws (or that
// a `process` step rejects) leaves nothing behind: its results are rolled back, on every branch.

import type { ProcessContext, RecordHeaders, SourceRecord } from '../api/records.js';
import type { StreamNode } from '../api/stream-graph.js';
import type { JobPlan, StagePlan } from './job-plan.js';
import { type Encoder, encoderFor } from './sink-encoders.js';

/** What one batch produced for each sink: encoded results and the source record of each. */
export class StageOutputs {
  /** Per sink index: encoded results, in the order they were emitted. */
  readonly values: unknown[][];
  /** Per sink index: the source record of each result (same positions as `values`). */
  readonly sources: SourceRecord[][];
  /** Per sink index: the results before encoding, kept only when asked (the test driver shows them). */
  readonly raw: unknown[][] | undefined;
  #marks: number[];

  constructor(sinks: number, options: { keepRaw?: boolean } = {}) {
    this.values = Array.from({ length: sinks }, () => []);
    this.sources = Array.from({ length: sinks }, () => []);
    this.raw = options.keepRaw ? Array.from({ length: sinks }, () => []) : undefined;
    this.#marks = new Array<number>(sinks).fill(0);
  }

  /** Before a record: remember where each sink's list ends. */
  begin(): void {
    for (let i = 0; i < this.values.length; i++) this.#marks[i] = this.values[i]?.length ?? 0;
  }

  /** The record failed: forget what it emitted. */
  rollback(): void {
    for (let i = 0; i < this.values.length; i++) {
      const mark = this.#marks[i] ?? 0;
      (this.values[i] as unknown[]).length = mark;
      (this.sources[i] as SourceRecord[]).length = mark;
      if (this.raw) (this.raw[i] as unknown[]).length = mark;
    }
  }

  emit(sink: number, value: unknown, source: SourceRecord, raw: unknown): void {
    this.values[sink]?.push(value);
    this.sources[sink]?.push(source);
    this.raw?.[sink]?.push(raw);
  }

  get total(): number {
    return this.values.reduce((n, v) => n + v.length, 0);
  }
}

/** Thrown when a `process` step called `context.deadLetter(reason)`. */
export class RecordRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RecordRejected';
  }
}

export interface CompiledStage {
  readonly topics: ReadonlySet<string>;
  readonly sinkCount: number;
  /** Runs one record; throws what the job's code throws (the caller rolls the record back). */
  run(record: SourceRecord, out: StageOutputs): void;
}

export function compileStage(plan: JobPlan, stage: StagePlan): CompiledStage {
  const context = new StageContext();
  const encoders: Encoder[] = plan.sinks.map((s) => encoderFor(s.sink));
  const sinkIndex = new Map(plan.sinks.map((s, i) => [s.id, i]));
  let out: StageOutputs = new StageOutputs(0);

  // Each node becomes a function that takes a value of its input and pushes to its children.
  const compile = (node: StreamNode): ((value: unknown) => void) => {
    if (node.kind === 'sink') {
      const index = sinkIndex.get(node.id) ?? -1;
      const encode = encoders[index] as Encoder;
      return (value) => out.emit(index, encode(value, context.record), context.record, value);
    }
    const children = node.children.map(compile);
    const next: (value: unknown) => void =
      children.length === 1
        ? (children[0] as (value: unknown) => void)
        : (value) => {
            for (const child of children) child(value);
          };
    if (node.kind === 'source') return next;
    const op = node.operator;
    switch (op.kind) {
      case 'map':
        return (value) => next(op.fn(value, context));
      case 'filter':
        return (value) => {
          if (op.fn(value, context)) next(value);
        };
      case 'flatMap':
        return (value) => {
          for (const item of op.fn(value, context)) next(item);
        };
      case 'process': {
        const processContext = new StageProcessContext(context, next);
        return (value) => op.fn(value, processContext);
      }
    }
  };

  const byTopic = new Map<string, (record: SourceRecord) => void>();
  for (const source of stage.sources) {
    const push = compile(source);
    const { deserialize } = source.deserializer;
    for (const topic of source.topics) byTopic.set(topic, (record) => push(deserialize(record)));
  }
  return {
    topics: new Set(byTopic.keys()),
    sinkCount: plan.sinks.length,
    run(record, outputs) {
      const entry = byTopic.get(record.topic);
      if (!entry) throw new Error(`the job reads no topic '${record.topic}'`);
      out = outputs;
      context.set(record);
      entry(record);
      if (context.rejected !== undefined) throw new RecordRejected(context.rejected);
    },
  };
}

/** The RecordContext every operator of a stage sees: one object, set for each record. */
class StageContext {
  record!: SourceRecord;
  rejected: string | undefined;
  #key: string | null | undefined;

  set(record: SourceRecord): void {
    this.record = record;
    this.rejected = undefined;
    this.#key = undefined;
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

class StageProcessContext implements ProcessContext<unknown> {
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
