// The Redis sinks — the seed's counter and keyed writes (HINCRBY, INCRBY, HSET, SET) — as guarded
// connectors: each batch of a task is applied by guarded-write.lua together with the task's
// position in this sink and refused for an older owner epoch (see the script's header). A task's
// new owner claims it with guard-claim.lua, which fences every earlier owner at once.

import type { Redis } from 'ioredis';
import type { RedisCounterSink, RedisWriteSink } from '../../api/sinks.js';
import type { RedisConfig } from '../../config/sluice-config.js';
import type {
  ConnectorBatch,
  SinkConnector,
  SinkOutput,
  TaskLease,
  TaskRef,
  WriteOutcome,
} from '../sink-connector.js';
import { counterKeys } from './counter-keys.js';
import { loadLua } from './lua-script.js';
import { connectRedis, createRedis } from './redis-client.js';
import { redisOps } from './redis-ops.js';

interface GuardCommands {
  sluiceGuardedWrite(...keysAndArgs: (string | number)[]): Promise<[string, number]>;
  sluiceGuardClaim(positions: string, epochs: string, task: string, epoch: number): Promise<[string, number]>;
}

/** Where a guarded sink keeps each task's position and owner epoch. */
export interface GuardKeys {
  readonly positions: string;
  readonly epochs: string;
}

export function guardKeysOf(
  sink: RedisCounterSink<unknown> | RedisWriteSink<unknown>,
  groupId: string,
): GuardKeys {
  if (sink.kind === 'redis-counter') return counterKeys(sink.key);
  const prefix = `sluice:${groupId}:sink:${sink.name}`;
  return { positions: `${prefix}:positions`, epochs: `${prefix}:epochs` };
}

/** A task's field in the guard hashes. */
export function guardField(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

export interface RedisSinkContext {
  readonly redis: RedisConfig;
  readonly groupId: string;
  readonly clientName: string;
}

export class RedisSinkConnector implements SinkConnector {
  readonly kind = 'guarded';
  readonly keepsPosition = true;
  readonly commitsOffsets = false;
  readonly name: string;
  readonly sinks: readonly number[];
  readonly #sink: RedisCounterSink<unknown> | RedisWriteSink<unknown>;
  readonly #keys: GuardKeys;
  readonly #redis: Redis & GuardCommands;
  readonly #context: RedisSinkContext;
  readonly #guarded: boolean;

  constructor(
    sink: RedisCounterSink<unknown> | RedisWriteSink<unknown>,
    index: number,
    context: RedisSinkContext,
  ) {
    this.name = sink.name;
    this.sinks = [index];
    this.#sink = sink;
    this.#context = context;
    this.#keys = guardKeysOf(sink, context.groupId);
    this.#guarded = sink.kind !== 'redis-counter' || sink.exactlyOnce !== false;
    this.#redis = createRedis(context.redis, {
      // The task retries a failed write with the same epoch and range: idempotent.
      maxRetriesPerRequest: null,
      connectionName: context.clientName,
    }) as Redis & GuardCommands;
    this.#redis.defineCommand('sluiceGuardedWrite', { lua: loadLua('guarded-write.lua') });
    this.#redis.defineCommand('sluiceGuardClaim', { numberOfKeys: 2, lua: loadLua('guard-claim.lua') });
  }

  async open(): Promise<void> {
    await connectRedis(
      this.#redis,
      this.#context.redis,
      `the Redis sink '${this.name}' of ${this.#context.clientName}`,
    );
  }

  async restore(task: TaskRef, lease: TaskLease): Promise<{ position: number | undefined } | 'fenced'> {
    const [status, value] = await this.#redis.sluiceGuardClaim(
      this.#keys.positions,
      this.#keys.epochs,
      guardField(task.topic, task.partition),
      lease.epoch,
    );
    if (status === 'FENCED') return 'fenced';
    return { position: value < 0 ? undefined : value };
  }

  async write(batch: ConnectorBatch): Promise<WriteOutcome> {
    const output = batch.outputs[0];
    const ops = output ? redisOps(this.#sink, output.values) : [];
    try {
      if (!this.#guarded) return await this.#writeUnguarded(batch, ops);
      const [status, value] = await this.#redis.sluiceGuardedWrite(
        2,
        this.#keys.positions,
        this.#keys.epochs,
        guardField(batch.task.topic, batch.task.partition),
        batch.epoch,
        batch.firstOffset,
        batch.nextOffset,
        ...ops,
      );
      switch (status) {
        case 'APPLIED':
          return { status: 'written' };
        case 'DUPLICATE':
          return { status: 'duplicate' };
        case 'OVERLAP':
          return { status: 'overlap', position: value };
        case 'FENCED':
          return { status: 'fenced' };
        default:
          throw new Error(`guarded-write.lua returned an unknown status ${status}`);
      }
    } catch (error) {
      // A script error (WRONGTYPE: the key holds another type) fails every retry the same way.
      if (isPermanentReply(error)) return { status: 'refused', error, offsets: undefined };
      throw error;
    }
  }

  /**
   * Results of time passing, numbered per task: the same script and guard, under the task's field
   * `<topic>:<partition>#time` whose "position" is the next number. Epoch 0: these are fenced by the
   * Kafka transaction that decided them (a number is only handed over once that committed).
   */
  async writeHeld(
    task: TaskRef,
    seq: number,
    outputs: readonly SinkOutput[],
  ): Promise<'written' | 'duplicate'> {
    const values = outputs.flatMap((o) => o.values);
    const ops = redisOps(this.#sink, values);
    const [status] = await this.#redis.sluiceGuardedWrite(
      2,
      this.#keys.positions,
      this.#keys.epochs,
      `${guardField(task.topic, task.partition)}#time`,
      0,
      seq,
      seq + 1,
      ...ops,
    );
    if (status === 'APPLIED') return 'written';
    if (status === 'DUPLICATE') return 'duplicate';
    throw new Error(`guarded-write.lua answered ${status} to results of time passing #${seq} of ${task.id}`);
  }

  /** The at-least-once baseline: the same writes and position, no epoch or position check. */
  async #writeUnguarded(batch: ConnectorBatch, ops: (string | number)[]): Promise<WriteOutcome> {
    const tx = this.#redis.multi();
    for (let i = 0; i < ops.length; ) {
      const op = ops[i];
      if (op === 'I') {
        tx.incrby(String(ops[i + 1]), Number(ops[i + 2]));
        i += 3;
      } else if (op === 'H') {
        tx.hincrby(String(ops[i + 1]), String(ops[i + 2]), Number(ops[i + 3]));
        i += 4;
      } else if (op === 'M') {
        const count = Number(ops[i + 2]);
        for (let j = i + 3; j < i + 3 + 2 * count; j += 2)
          tx.hincrby(String(ops[i + 1]), String(ops[j]), Number(ops[j + 1]));
        i += 3 + 2 * count;
      } else if (op === 'B') {
        const count = Number(ops[i + 3]);
        for (let j = i + 4; j < i + 4 + count; j++) tx.setbit(String(ops[i + 1]), Number(ops[j]), 1);
        i += 4 + count;
      } else if (op === 'S') {
        tx.hset(String(ops[i + 1]), String(ops[i + 2]), String(ops[i + 3]));
        i += 4;
      } else {
        tx.set(String(ops[i + 1]), String(ops[i + 2]));
        i += 3;
      }
    }
    tx.hset(
      this.#keys.positions,
      guardField(batch.task.topic, batch.task.partition),
      String(batch.nextOffset),
    );
    await tx.exec();
    return { status: 'written' };
  }

  async release(): Promise<void> {}

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/** Redis answered with an error that says the command itself is wrong, not that the server is away. */
function isPermanentReply(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return false;
  return !/^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|READONLY|CLUSTERDOWN|OOM|NOSCRIPT)\b/.test(error.message);
}

/**
 * Prepares a guarded sink for a new run: each task's position set to where the run starts (so the
 * run writes exactly the records produced for it). Epochs are kept: owners of an earlier run stay fenced.
 */
export async function resetGuard(
  redis: Redis,
  keys: GuardKeys,
  starts: readonly { topic: string; partition: number; offset: number }[],
): Promise<void> {
  const tx = redis.multi().del(keys.positions);
  for (const s of starts) tx.hset(keys.positions, guardField(s.topic, s.partition), String(s.offset));
  await tx.exec();
}

/** Resets the seed's counter for a new run: counter 0, ids and per-key counts cleared, positions at the start. */
export async function resetCounter(
  redis: Redis,
  counterKey: string,
  starts: readonly { topic: string; partition: number; offset: number }[],
): Promise<void> {
  const keys = counterKeys(counterKey);
  await redis.multi().set(keys.counter, 0).del(keys.appliedIds, keys.duplicateIds, keys.byKey).exec();
  await resetGuard(redis, keys, starts);
}

/** A guarded sink's recorded positions of one topic: partition → next offset. */
export async function readGuardPositions(
  redis: Redis,
  keys: GuardKeys,
  topic: string,
): Promise<Map<number, number>> {
  const raw = await redis.hgetall(keys.positions);
  const positions = new Map<number, number>();
  for (const [field, offset] of Object.entries(raw)) {
    const at = field.lastIndexOf(':');
    if (field.slice(0, at) === topic) positions.set(Number(field.slice(at + 1)), Number(offset));
  }
  return positions;
}
