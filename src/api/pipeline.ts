// The user-facing pipeline API: `fromKafka(deserialize).map(...).filter(...).sinkTo(sink)` builds a
// JobGraph, which a task compiles into one function per record. Kept small on purpose: the runtime
// (partitions, positions, fencing) is the TaskManager's business, not the job author's.

import type { SinkFactory } from './sink.js';
import type { SourceRecord } from './source-record.js';

type Step =
  | { kind: 'map'; fn: (value: unknown) => unknown }
  | { kind: 'filter'; fn: (value: unknown) => boolean };

export interface JobGraph {
  readonly name: string;
  readonly deserialize: (record: SourceRecord) => unknown;
  readonly steps: readonly Step[];
  readonly sink: SinkFactory<unknown>;
}

export class DataStream<T> {
  readonly #deserialize: (record: SourceRecord) => unknown;
  readonly #steps: readonly Step[];

  /** Use `fromKafka` to start a stream. */
  constructor(deserialize: (record: SourceRecord) => unknown, steps: readonly Step[]) {
    this.#deserialize = deserialize;
    this.#steps = steps;
  }

  map<U>(fn: (value: T) => U): DataStream<U> {
    return new DataStream<U>(this.#deserialize, [
      ...this.#steps,
      { kind: 'map', fn: fn as (v: unknown) => unknown },
    ]);
  }

  filter(fn: (value: T) => boolean): DataStream<T> {
    return new DataStream<T>(this.#deserialize, [
      ...this.#steps,
      { kind: 'filter', fn: fn as (v: unknown) => boolean },
    ]);
  }

  sinkTo(name: string, sink: SinkFactory<T>): JobGraph {
    return { name, deserialize: this.#deserialize, steps: this.#steps, sink: sink as SinkFactory<unknown> };
  }
}

export function fromKafka<T>(deserialize: (record: SourceRecord) => T): DataStream<T> {
  return new DataStream<T>(deserialize, []);
}

/** Marks a record that a filter dropped. */
export const DROPPED: unique symbol = Symbol('dropped');

/** One function per record: deserialize, then each step; throws what the job's code throws. */
export function compile(graph: JobGraph): (record: SourceRecord) => unknown {
  const steps = graph.steps;
  return (record) => {
    let value = graph.deserialize(record);
    for (const step of steps) {
      if (step.kind === 'map') value = step.fn(value);
      else if (!step.fn(value)) return DROPPED;
    }
    return value;
  };
}
