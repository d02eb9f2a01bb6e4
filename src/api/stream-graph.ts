// The graph a job's `build` function describes: sources (Kafka topics with a deserializer),
// operators, and sinks, each node knowing its parent and children. Pure data: the plan layer turns
// it into stages and tasks, the runtime and the test driver run what the plan compiled.

import type { Deserializer } from './deserializers.js';
import type { KeyedProcessor } from './keyed-stream.js';
import type { ProcessContext, RecordContext } from './records.js';
import type { Sink } from './sinks.js';
import type { StateSpec } from './state.js';

export type OperatorFn =
  | { readonly kind: 'map'; readonly fn: (value: unknown, context: RecordContext) => unknown }
  | { readonly kind: 'filter'; readonly fn: (value: unknown, context: RecordContext) => boolean }
  | { readonly kind: 'flatMap'; readonly fn: (value: unknown, context: RecordContext) => Iterable<unknown> }
  | { readonly kind: 'process'; readonly fn: (value: unknown, context: ProcessContext<unknown>) => void }
  | {
      readonly kind: 'keyBy';
      readonly fn: (value: unknown, context: RecordContext) => string | number;
      /** false: the input is already partitioned by this key (no repartition topic). */
      readonly repartition: boolean;
    }
  | { readonly kind: 'keyed'; readonly processor: KeyedProcessor<unknown, unknown, StateSpec> };

interface NodeBase {
  /** Unique in the graph, in the order `build` created the nodes: the same code gives the same ids. */
  readonly id: number;
  readonly children: StreamNode[];
}

export interface SourceNode extends NodeBase {
  readonly kind: 'source';
  readonly topics: readonly string[];
  readonly deserializer: Deserializer<unknown>;
  readonly time: EventTime;
  /** The partitions each of its topics must have (the job was designed for them); undefined: any. */
  readonly partitions?: number;
}

/** How a source's records get their event time and its watermark advances (Flink's WatermarkStrategy). */
export interface EventTime {
  /** The event time of a value (epoch ms); undefined: the Kafka record's timestamp. */
  readonly timestamp: ((value: unknown, context: RecordContext) => number) | undefined;
  /** How far out of order records may arrive and still count (ms). */
  readonly outOfOrdernessMs: number;
  /** Quiet input longer than this lets event time follow the wall clock (ms; 0: never). */
  readonly idleAfterMs: number;
}

export interface OperatorNode extends NodeBase {
  readonly kind: 'operator';
  readonly operator: OperatorFn;
  readonly parent: StreamNode;
}

export interface SinkNode extends NodeBase {
  readonly kind: 'sink';
  readonly sink: Sink<unknown>;
  readonly parent: StreamNode;
  /** Takes the records its parent (a window) found late, as they reached it, instead of its results. */
  readonly late?: boolean;
}

export type StreamNode = SourceNode | OperatorNode | SinkNode;

/** Every node a job's `build` created, in creation order. */
export class StreamGraph {
  readonly nodes: StreamNode[] = [];

  add<N extends StreamNode>(make: (id: number) => N): N {
    const node = make(this.nodes.length);
    this.nodes.push(node);
    if (node.kind !== 'source') node.parent.children.push(node);
    return node;
  }

  get sources(): SourceNode[] {
    return this.nodes.filter((n): n is SourceNode => n.kind === 'source');
  }

  get sinks(): SinkNode[] {
    return this.nodes.filter((n): n is SinkNode => n.kind === 'sink');
  }
}
