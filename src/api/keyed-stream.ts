// A stream partitioned by key (`stream.keyBy(...)`): every record of a key reaches the same task,
// in order, so a step may keep state per key and set timers per key — Flink's KeyedStream, Kafka
// Streams' grouped stream. When the key is not how the source topic is partitioned, records go
// through an internal repartition topic first (the plan decides; the job's code does not change).

import type { DataStream } from './data-stream.js';
import type { RecordContext } from './records.js';
import type { Sink } from './sinks.js';
import type { StateOf, StateSpec } from './state.js';
import type { StreamGraph, StreamNode } from './stream-graph.js';
import { type WindowAssigner, WindowedStream, type WindowOptions } from './windows.js';

/** Timers of the current key; a timer set twice for the same time fires once. */
export interface Timers {
  /** Fires `onTimer` once the task's watermark reaches `time` (event time, epoch ms). */
  atEventTime(time: number): void;
  /** Fires `onTimer` once the wall clock reaches `time` (epoch ms). Not replayed identically after a failure. */
  atProcessingTime(time: number): void;
  cancelEventTime(time: number): void;
  cancelProcessingTime(time: number): void;
}

/** What a keyed step sees, for a record or a timer: its key's state, timers and time. */
export interface KeyedContext<U, S extends StateSpec> {
  /** The key (as text) whose state and timers this call sees. */
  readonly key: string;
  /** Event time of the record, or the time of the timer that fired (epoch ms). */
  readonly timestamp: number;
  /** The task's watermark: records with an event time at or below it may already be late. */
  readonly watermark: number;
  /** The wall clock (epoch ms); the test driver's clock in a unit test. */
  readonly processingTime: number;
  readonly state: StateOf<S>;
  readonly timers: Timers;
  emit(value: U): void;
}

export interface KeyedRecordContext<U, S extends StateSpec> extends KeyedContext<U, S> {
  /** Where the record came from (topic, partition, offset, headers). */
  readonly record: RecordContext;
  /** Sends the record to the dead-letter topic with this reason; nothing it emitted is kept. */
  deadLetter(reason: string): void;
  /** Marks the record late: it goes to the dead-letter topic with reason `late` and counts as late. */
  late(): void;
}

export interface TimerContext<U, S extends StateSpec> extends KeyedContext<U, S> {
  readonly timer: { readonly time: number; readonly domain: 'event' | 'processing' };
}

export interface KeyedProcessor<T, U, S extends StateSpec> {
  /**
   * Names the step's state and its changelog topic (`<job>-<name>-changelog`): keep it when the
   * code changes, or the state starts empty. Letters, digits, '.', '_', '-'.
   */
  readonly name: string;
  /** What the step does, in a few words, for the dashboard's plan (default: "process"). */
  readonly description?: string;
  readonly state?: S;
  onRecord(value: T, context: KeyedRecordContext<U, S>): void;
  onTimer?(context: TimerContext<U, S>): void;
  /**
   * For a step whose event-time timers follow from one of its states (every window does; a state
   * without a TTL): the times of the timers a key's entry of that state stands for. Such timers are kept in memory
   * only, never written to the store or the changelog, and are rebuilt from the state when a task
   * opens — those after its restored watermark (the others had fired).
   */
  readonly eventTimersFrom?: {
    readonly state: keyof S & string;
    readonly times: (value: unknown) => number[];
    /**
     * true: an entry is dead once all its timers fired (a closed window: tumbling, hopping,
     * session). Deleting it then writes its changelog tombstone later, or never if the key is
     * written again first, and a task that restores it drops it. Not for state still read after
     * its timers (a sliding window's records).
     */
    readonly deadAfterTimers?: boolean;
  };
}

export interface KeyByOptions {
  /**
   * false: the source topic is already partitioned by this key (its producer keyed records with
   * it), so no repartition topic is needed. Default true: records go through `<job>-<stage>-repartition`.
   */
  readonly repartition?: boolean;
}

/** How the graph makes derived streams (kept out of the public surface of KeyedStream). */
export interface StreamFactory {
  derive<U>(graph: StreamGraph, node: StreamNode): DataStream<U>;
}

export class KeyedStream<T> {
  readonly #graph: StreamGraph;
  readonly #node: StreamNode;
  readonly #streams: StreamFactory;

  /** Keyed streams start at `stream.keyBy(...)`. */
  constructor(graph: StreamGraph, node: StreamNode, streams: StreamFactory) {
    this.#graph = graph;
    this.#node = node;
    this.#streams = streams;
  }

  /** A step with keyed state and timers (Flink's KeyedProcessFunction). */
  process<U, S extends StateSpec = Record<never, never>>(processor: KeyedProcessor<T, U, S>): DataStream<U> {
    return this.#streams.derive<U>(this.#graph, this.#step(processor));
  }

  #step<U, S extends StateSpec>(processor: KeyedProcessor<T, U, S>): StreamNode {
    const parent = this.#node;
    return this.#graph.add((id) => ({
      id,
      kind: 'operator',
      operator: {
        kind: 'keyed',
        processor: processor as unknown as KeyedProcessor<unknown, unknown, StateSpec>,
      },
      parent,
      children: [],
    }));
  }

  /** Groups each key's records into windows of event time; then `count`, `reduce` or `aggregate`. */
  window(assigner: WindowAssigner, options: WindowOptions<T> = {}): WindowedStream<T> {
    return new WindowedStream<T>(assigner, options, (processor) => {
      const step = this.#step(processor);
      // Flink's sideOutputLateData: the step's late records go to this sink, not the dead-letter topic.
      if (options.lateTo) {
        const sink = options.lateTo as Sink<unknown>;
        this.#graph.add((id) => ({ id, kind: 'sink', sink, parent: step, children: [], late: true }));
      }
      return this.#streams.derive(this.#graph, step);
    });
  }
}
