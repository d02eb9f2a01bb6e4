// Where a job's results go. Each function here only describes a sink (pure data and the job's own
// functions); the runtime connects it, and owns what makes it exactly once: every batch carries
// the task's fencing epoch and source offset range, and the runtime tracks each sink's position.
// A user-defined sink (`defineSink`) only writes: idempotently by the ids the runtime gives each
// record, or transactionally through prepare/commit hooks. It never sees claims or positions.

/** A record of an output topic, as a sink's `combine` function returns them. */
export interface KafkaOutputRecord {
  readonly key: string | Buffer | null;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string | Buffer>>;
  /**
   * The record's timestamp (epoch ms); default: when it is produced. A combined result usually
   * takes its newest input's, as Kafka Streams' aggregations do.
   */
  readonly timestamp?: number;
}

export interface KafkaSinkOptions<T> {
  readonly topic: string;
  /** Shown in logs and the test driver; default `kafka:<topic>`. */
  readonly name?: string;
  /** The output record's key; default: the key of the source record the result came from. */
  readonly key?: (result: T) => string | Buffer | null;
  /** The output record's value; default: the result as JSON (a string or Buffer result as it is). */
  readonly value?: (result: T) => string | Buffer;
  readonly headers?: (result: T) => Readonly<Record<string, string | Buffer>>;
  /**
   * Instead of one output record per result: the records a whole batch of results becomes (e.g.
   * one count delta per key). Still inside the batch's transaction, so still exactly once.
   */
  readonly combine?: (results: readonly T[]) => readonly KafkaOutputRecord[];
}

export interface KafkaSink<T> extends KafkaSinkOptions<T> {
  readonly kind: 'kafka';
  readonly name: string;
}

/** An output topic written in Kafka transactions: read_committed readers see each result once. */
export function kafkaSink<T>(options: KafkaSinkOptions<T>): KafkaSink<T> {
  return { ...options, kind: 'kafka', name: options.name ?? `kafka:${options.topic}` };
}

export interface RedisCounterOptions<T> {
  /** The counter's Redis key: INCRBY the number of results of each batch. */
  readonly key: string;
  readonly name?: string;
  /** Also count per key, in the hash `<key>:by_key` (HINCRBY, one per key and batch). */
  readonly countBy?: (result: T) => string;
  /** Record each result's id in a bitmap (`<key>:applied_ids`), so "every id exactly once" can be proven. */
  readonly idOf?: (result: T) => number;
  /**
   * false: the unguarded at-least-once baseline (no epoch or position check), kept only to measure
   * what the guarantee costs. Default true.
   */
  readonly exactlyOnce?: boolean;
}

export interface RedisCounterSink<T> extends RedisCounterOptions<T> {
  readonly kind: 'redis-counter';
  readonly name: string;
}

/** The seed's sink: counts results into one Redis counter, exactly once (the position guard). */
export function redisCounter<T>(options: RedisCounterOptions<T>): RedisCounterSink<T> {
  return { ...options, kind: 'redis-counter', name: options.name ?? `redis-counter:${options.key}` };
}

/** One Redis write per result, applied with the batch atomically and exactly once. */
export type RedisWriteOptions<T> =
  | {
      readonly command: 'HINCRBY';
      readonly key: (result: T) => string;
      readonly field: (result: T) => string;
      /** Default 1. */
      readonly by?: (result: T) => number;
      readonly name?: string;
    }
  | {
      readonly command: 'INCRBY';
      readonly key: (result: T) => string;
      /** Default 1. */
      readonly by?: (result: T) => number;
      readonly name?: string;
    }
  | {
      readonly command: 'HSET';
      readonly key: (result: T) => string;
      readonly field: (result: T) => string;
      readonly value: (result: T) => string | number;
      readonly name?: string;
    }
  | {
      readonly command: 'SET';
      readonly key: (result: T) => string;
      readonly value: (result: T) => string | number;
      readonly name?: string;
    };

export type RedisWriteSink<T> = RedisWriteOptions<T> & {
  readonly kind: 'redis-write';
  readonly name: string;
};

/**
 * Keyed writes into Redis (HINCRBY, INCRBY, HSET, SET per result), applied per batch in one Lua
 * script together with the task's position and guarded by its epoch: a replay, a retry or a
 * zombie's late write changes nothing, so even increments are exact.
 */
export function redisWrite<T>(options: RedisWriteOptions<T>): RedisWriteSink<T> {
  return {
    ...options,
    kind: 'redis-write',
    name: options.name ?? `redis:${options.command}`,
  } as RedisWriteSink<T>;
}

/** The task a batch belongs to: one source partition. */
export interface SinkTask {
  /** `<topic>-<partition>`. */
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
}

/** One result as a user-defined sink receives it. */
export interface SinkRecord<T> {
  readonly value: T;
  /**
   * Stable across replays: `<topic>-<partition>-<offset>-<n>`, the n-th result of that source
   * record for this sink. Write with it as the key (an upsert) and a replay changes nothing.
   * Results of time passing (a window the clock closed on a quiet input, a processing-time timer)
   * have no source record: `<topic>-<partition>-t<k>-<n>`, k numbering the task's ticks (the same
   * after a crash), with offset -1, key null, timestamp 0, in a batch whose range is [-1, -1).
   */
  readonly id: string;
  /** The source record's key (text) and timestamp. */
  readonly key: string | null;
  readonly timestamp: number;
  readonly offset: number;
}

export interface SinkBatch<T> {
  readonly task: SinkTask;
  /** The task's fencing epoch: higher for every new owner of the partition. */
  readonly epoch: number;
  /** The source offsets this batch covers: [firstOffset, nextOffset). */
  readonly firstOffset: number;
  readonly nextOffset: number;
  readonly records: readonly SinkRecord<T>[];
}

export interface SinkOpenContext {
  readonly jobName: string;
  readonly taskManagerId: string;
}

/**
 * A sink you write. `write` must be idempotent by each record's `id` (a replay after a failure
 * delivers the same ids again), or the sink is transactional: then `write` stages into the task's
 * open transaction and the runtime calls `prepare` at each checkpoint and `commit` once it completed.
 * One instance serves every task of a TaskManager: calls for different tasks may overlap.
 * Throw to fail a call: it is retried with backoff, unless the error has `retriable: false`
 * (e.g. `SinkError`), which sends the batch's records to the dead-letter topic instead.
 */
export interface IdempotentSinkSpec<T> {
  readonly name: string;
  open?(context: SinkOpenContext): Promise<void> | void;
  write(batch: SinkBatch<T>): Promise<void> | void;
  close?(): Promise<void> | void;
}

export interface TransactionalSinkSpec<T> extends IdempotentSinkSpec<T> {
  /** Phase one: make the task's open transaction durable but invisible, as that of `checkpointId`. */
  prepare(task: SinkTask, checkpointId: number): Promise<void> | void;
  /** Phase two: make every transaction prepared for a checkpoint up to `checkpointId` visible. Idempotent. */
  commit(task: SinkTask, checkpointId: number): Promise<void> | void;
  /**
   * A new owner of the task, before its first write: commit what was prepared for checkpoints up
   * to `checkpointId` (the last one completed; undefined if none) and drop everything else.
   */
  recover(task: SinkTask, checkpointId: number | undefined): Promise<void> | void;
  /** The task is handed over or lost: drop the open transaction and what is prepared, not committed. */
  abort(task: SinkTask): Promise<void> | void;
}

export interface UserSink<T> {
  readonly kind: 'user';
  readonly name: string;
  readonly spec: IdempotentSinkSpec<T> | TransactionalSinkSpec<T>;
  readonly transactional: boolean;
}

export function defineSink<T>(spec: IdempotentSinkSpec<T> | TransactionalSinkSpec<T>): UserSink<T> {
  const hooks = ['prepare', 'commit', 'recover', 'abort'] as const;
  const given = hooks.filter((h) => typeof (spec as Partial<TransactionalSinkSpec<T>>)[h] === 'function');
  if (given.length > 0 && given.length < hooks.length) {
    throw new TypeError(
      `sink '${spec.name}': a transactional sink needs all of ${hooks.join(', ')}; it has only ${given.join(', ')}`,
    );
  }
  return { kind: 'user', name: spec.name, spec, transactional: given.length === hooks.length };
}

/** A sink error that says whether retrying can help; `retriable: false` sends the records to the DLQ. */
export class SinkError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SinkError';
    this.retriable = options.retriable;
  }
}

export type Sink<T> = KafkaSink<T> | RedisCounterSink<T> | RedisWriteSink<T> | UserSink<T>;
