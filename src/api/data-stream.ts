// DataStream<T>: a stream of values of type T inside a job, and the operators that derive new
// streams from it. Each call adds a node to the job's graph; nothing runs until the runtime (or
// the test driver) runs the compiled plan. Types flow from the deserializer to the sink.

import { type KeyByOptions, KeyedStream } from './keyed-stream.js';
import type { ProcessContext, RecordContext } from './records.js';
import type { Sink } from './sinks.js';
import type { OperatorFn, StreamGraph, StreamNode } from './stream-graph.js';

export class DataStream<T> {
  readonly #graph: StreamGraph;
  readonly #node: StreamNode;

  /** Streams start at `job.fromKafka(...)`. */
  constructor(graph: StreamGraph, node: StreamNode) {
    this.#graph = graph;
    this.#node = node;
  }

  /** One result per value. */
  map<U>(fn: (value: T, context: RecordContext) => U): DataStream<U> {
    return this.#derive<U>({ kind: 'map', fn: fn as (v: unknown, c: RecordContext) => unknown });
  }

  /** Keeps the values `fn` accepts (a type guard narrows the stream's type). */
  filter<S extends T>(fn: (value: T, context: RecordContext) => value is S): DataStream<S>;
  filter(fn: (value: T, context: RecordContext) => boolean): DataStream<T>;
  filter(fn: (value: T, context: RecordContext) => boolean): DataStream<T> {
    return this.#derive<T>({ kind: 'filter', fn: fn as (v: unknown, c: RecordContext) => boolean });
  }

  /** Zero or more results per value (any iterable: an array, a generator). */
  flatMap<U>(fn: (value: T, context: RecordContext) => Iterable<U>): DataStream<U> {
    return this.#derive<U>({
      kind: 'flatMap',
      fn: fn as (v: unknown, c: RecordContext) => Iterable<unknown>,
    });
  }

  /**
   * The general step: sees the value and its record's key, timestamp, partition, offset and headers,
   * emits zero or more results with `context.emit`, or sends the record to the dead-letter topic
   * with `context.deadLetter(reason)`.
   */
  process<U>(fn: (value: T, context: ProcessContext<U>) => void): DataStream<U> {
    return this.#derive<U>({
      kind: 'process',
      fn: fn as unknown as (v: unknown, c: ProcessContext<unknown>) => void,
    });
  }

  /**
   * Partitions the stream by key: every value of a key reaches the same task, in order, so a keyed
   * `process` step or a window can keep state for it. The key is text (a number is turned into it).
   */
  keyBy(
    key: (value: T, context: RecordContext) => string | number,
    options: KeyByOptions = {},
  ): KeyedStream<T> {
    const parent = this.#node;
    const node = this.#graph.add((id) => ({
      id,
      kind: 'operator',
      operator: {
        kind: 'keyBy',
        fn: key as (v: unknown, c: RecordContext) => string | number,
        repartition: options.repartition ?? true,
      },
      parent,
      children: [],
    }));
    return new KeyedStream<T>(this.#graph, node, streams);
  }

  /** Sends every value of this stream to the sink. A stream may go to several sinks. */
  sinkTo(sink: Sink<T>): void {
    const parent = this.#node;
    this.#graph.add((id) => ({ id, kind: 'sink', sink: sink as Sink<unknown>, parent, children: [] }));
  }

  #derive<U>(operator: OperatorFn): DataStream<U> {
    const parent = this.#node;
    const node = this.#graph.add((id) => ({ id, kind: 'operator', operator, parent, children: [] }));
    return new DataStream<U>(this.#graph, node);
  }
}

const streams = { derive: <U>(graph: StreamGraph, node: StreamNode) => new DataStream<U>(graph, node) };
