// The seed's sink: counts processed messages into one Redis counter. Exactly once per record: each
// batch is applied by apply-batch.lua together with its partition's position and only by the
// partition's current owner (see the script's header for the invariant).

import type { Redis } from 'ioredis';
import type {
  ApplyOutcome,
  OffsetRange,
  PartitionClaim,
  Sink,
  SinkContext,
  SinkFactory,
} from '../../api/sink.js';
import { type CounterKeys, counterKeys } from './counter-keys.js';
import { loadLua } from './lua-script.js';
import { connectRedis, createRedis } from './redis-client.js';

interface CounterCommands {
  sluiceApplyBatch(...keysAndArgs: (string | number)[]): Promise<[string, number]>;
  sluiceClaimPartition(positions: string, epochs: string, partition: number): Promise<[number, number]>;
}

export interface CounterSinkOptions {
  counterKey: string;
  /** Record id of a result: when given, every applied id is recorded, so duplicates are detectable. */
  idOf?: (result: never) => number;
  /** Key of a result: when given, results are also counted per key (hash `<counter>:by_key`). */
  keyOf?: (result: never) => string;
  /**
   * false: the at-least-once baseline (counter and position written together, but no epoch or
   * duplicate check), kept only to measure what the guarantee costs. Default true.
   */
  guarded?: boolean;
}

export function redisCounterSink<T>(options: CounterSinkOptions): SinkFactory<T> {
  return (context) => new RedisCounterSink<T>(options, context);
}

class RedisCounterSink<T> implements Sink<T> {
  readonly name = 'redis-counter';
  readonly #keys: CounterKeys;
  readonly #redis: Redis & CounterCommands;
  readonly #idOf: ((result: T) => number) | undefined;
  readonly #keyOf: ((result: T) => string) | undefined;
  readonly #guarded: boolean;
  readonly #context: SinkContext;

  constructor(options: CounterSinkOptions, context: SinkContext) {
    this.#guarded = options.guarded ?? true;
    this.#context = context;
    this.#keyOf = options.keyOf as ((result: T) => string) | undefined;
    this.#keys = counterKeys(options.counterKey);
    this.#idOf = options.idOf as ((result: T) => number) | undefined;
    this.#redis = createRedis(context.redis, {
      // A write that fails is retried by the task with the same epoch and range: idempotent.
      maxRetriesPerRequest: null,
      connectionName: `sluice-sink-${context.taskManagerId}`,
    }) as Redis & CounterCommands;
    this.#redis.defineCommand('sluiceApplyBatch', { numberOfKeys: 6, lua: loadLua('apply-batch.lua') });
    this.#redis.defineCommand('sluiceClaimPartition', {
      numberOfKeys: 2,
      lua: loadLua('claim-partition.lua'),
    });
  }

  async open(): Promise<void> {
    await connectRedis(
      this.#redis,
      this.#context.redis,
      `the counter sink of ${this.#context.taskManagerId}`,
    );
  }

  async claim(partition: number): Promise<PartitionClaim> {
    const [epoch, position] = await this.#redis.sluiceClaimPartition(
      this.#keys.positions,
      this.#keys.epochs,
      partition,
    );
    return { epoch, position: position < 0 ? undefined : position };
  }

  async apply(
    partition: number,
    epoch: number,
    records: readonly T[],
    range: OffsetRange,
  ): Promise<ApplyOutcome> {
    const byKey = this.#countByKey(records);
    if (!this.#guarded) {
      const tx = this.#redis
        .multi()
        .incrby(this.#keys.counter, records.length)
        .hset(this.#keys.positions, String(partition), String(range.nextOffset));
      for (let i = 0; i < byKey.length; i += 2)
        tx.hincrby(this.#keys.byKey, String(byKey[i]), Number(byKey[i + 1]));
      await tx.exec();
      return { status: 'applied', position: range.nextOffset };
    }
    const ids = this.#idOf ? records.map(this.#idOf) : [];
    const [status, value] = await this.#redis.sluiceApplyBatch(
      this.#keys.counter,
      this.#keys.positions,
      this.#keys.epochs,
      this.#keys.appliedIds,
      this.#keys.duplicateIds,
      this.#keys.byKey,
      partition,
      epoch,
      range.firstOffset,
      range.nextOffset,
      records.length,
      ids.length,
      ...ids,
      ...byKey,
    );
    switch (status) {
      case 'APPLIED':
        return { status: 'applied', position: value };
      case 'DUPLICATE':
        return { status: 'duplicate', position: value };
      case 'OVERLAP':
        return { status: 'overlap', position: value };
      case 'FENCED':
        return { status: 'fenced', currentEpoch: value };
      default:
        throw new Error(`apply-batch.lua returned an unknown status ${status}`);
    }
  }

  /** The batch's count per key, flattened as key, count, key, count, ... (one HINCRBY per key, not per record). */
  #countByKey(records: readonly T[]): (string | number)[] {
    if (!this.#keyOf) return [];
    const counts = new Map<string, number>();
    for (const record of records) {
      const key = this.#keyOf(record);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].flat();
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/**
 * Prepares the counter for a new job run: counter 0, and each partition's position set to where the
 * run starts (the topic's end at job start), so the run counts exactly the records produced for it.
 * Epochs are kept: TaskManagers of an earlier run stay fenced.
 */
export async function resetCounterSink(
  redis: Redis,
  counterKey: string,
  startPositions: ReadonlyMap<number, number>,
): Promise<void> {
  const keys = counterKeys(counterKey);
  const tx = redis
    .multi()
    .set(keys.counter, 0)
    .del(keys.positions, keys.appliedIds, keys.duplicateIds, keys.byKey);
  for (const [partition, offset] of startPositions)
    tx.hset(keys.positions, String(partition), String(offset));
  await tx.exec();
}

export async function readCounterPositions(redis: Redis, counterKey: string): Promise<Map<number, number>> {
  const raw = await redis.hgetall(counterKeys(counterKey).positions);
  return new Map(Object.entries(raw).map(([p, o]) => [Number(p), Number(o)]));
}
