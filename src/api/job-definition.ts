// A job as its author writes it: a name, typed parameters (a zod object schema: defaults,
// validation, and the type `build` receives), and a `build` function that describes sources,
// operators and sinks. The default export of a job file is one of these.

import type { z } from 'zod';
import { DataStream } from './data-stream.js';
import { type DeserializerLike, toDeserializer } from './deserializers.js';
import type { RecordContext } from './records.js';
import { StreamGraph } from './stream-graph.js';

export interface SourceOptions<T> {
  /**
   * The partitions each topic must have. A job designed for 4 (its parallelism, its keys' spread)
   * must not run half-way on a topic that has 64: Sluice stops it at start with
   * KAFKA_TOPIC_PARTITION_MISMATCH instead (and creates a missing topic with this many on the
   * cluster it manages). Default: any count, each partition a task.
   */
  readonly partitions?: number;
  /** A value's event time (epoch ms); default: the Kafka record's timestamp. */
  readonly timestamp?: (value: T, context: RecordContext) => number;
  /**
   * How far out of order (in event time) records may arrive and still be on time: the watermark
   * trails the largest event time seen by this much (plus 1 ms). Default 0.
   */
  readonly outOfOrdernessMs?: number;
  /**
   * Once a partition has been read to its end and nothing new came for this long, its event time
   * follows the wall clock, so windows still close when input stops (0: never). Default 5000.
   */
  readonly idleAfterMs?: number;
}

/** What `build` gets to start streams from. */
export class JobBuilder {
  readonly graph = new StreamGraph();

  /**
   * Reads one or more Kafka topics with a deserializer. Records that do not deserialize go to the
   * dead-letter topic with the reason. Every partition of these topics is a task of the job.
   */
  fromKafka<T>(
    topics: string | readonly string[],
    deserializer: DeserializerLike<T>,
    options: SourceOptions<T> = {},
  ): DataStream<T> {
    const list = typeof topics === 'string' ? [topics] : [...topics];
    for (const [name, value] of [
      ['outOfOrdernessMs', options.outOfOrdernessMs],
      ['idleAfterMs', options.idleAfterMs],
    ] as const) {
      if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0))
        throw new TypeError(`${name} must be a whole number of milliseconds ≥ 0, got ${String(value)}`);
    }
    if (
      options.partitions !== undefined &&
      !(Number.isSafeInteger(options.partitions) && options.partitions >= 1)
    )
      throw new TypeError(`partitions must be a whole number ≥ 1, got ${String(options.partitions)}`);
    const source = this.graph.add((id) => ({
      id,
      kind: 'source',
      topics: list,
      deserializer: toDeserializer(deserializer),
      time: {
        timestamp: options.timestamp as ((v: unknown, c: RecordContext) => number) | undefined,
        outOfOrdernessMs: options.outOfOrdernessMs ?? 0,
        idleAfterMs: options.idleAfterMs ?? 5000,
      },
      ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
      children: [],
    }));
    return new DataStream<T>(this.graph, source);
  }
}

/** Marks a job definition, so a file's default export can be recognised (whatever its module instance). */
export const JOB_DEFINITION = 'sluice.job/1';

export interface JobDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  readonly kind: typeof JOB_DEFINITION;
  readonly name: string;
  readonly description: string | undefined;
  /** The parameters' schema; undefined: the job takes none. */
  readonly parameters: z.ZodObject | undefined;
  /** Describes the job's graph (a method: a job of any parameter type is a JobDefinition). */
  build(job: JobBuilder, parameters: P): void;
}

export interface JobSpecification<S extends z.ZodObject> {
  /** Letters, digits, '.', '_' and '-': it names the job's consumer group and keys. */
  readonly name: string;
  readonly description?: string;
  /** `--param key=value` on the command line; numbers and booleans are read from their text. */
  readonly parameters?: S;
  readonly build: (job: JobBuilder, parameters: z.output<S>) => void;
}

const JOB_NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function defineJob<S extends z.ZodObject = z.ZodObject<Record<never, never>>>(
  spec: JobSpecification<S>,
): JobDefinition<z.output<S> & Record<string, unknown>> {
  if (!JOB_NAME.test(spec.name)) {
    throw new TypeError(
      `job name ${JSON.stringify(spec.name)} is not valid: use 1-100 letters, digits, '.', '_' or '-'`,
    );
  }
  return {
    kind: JOB_DEFINITION,
    name: spec.name,
    description: spec.description,
    parameters: spec.parameters,
    build: spec.build as JobDefinition<z.output<S> & Record<string, unknown>>['build'],
  };
}

export function isJobDefinition(value: unknown): value is JobDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === JOB_DEFINITION &&
    typeof (value as { build?: unknown }).build === 'function'
  );
}
