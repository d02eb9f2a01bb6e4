// Where completed checkpoints live: Redis, beside the sink's results, newest first, the last N
// kept. One list per consumer group and topic, so a later run of the same job finds them.

import type { Redis } from 'ioredis';
import type { CompletedCheckpoint } from './completed-checkpoint.js';

export class CheckpointStore {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #retain: number;

  constructor(redis: Redis, namespace: { groupId: string; topic: string }, retain = 5) {
    this.#redis = redis;
    this.#key = `sluice:checkpoints:${namespace.groupId}:${namespace.topic}`;
    this.#retain = retain;
  }

  get key(): string {
    return this.#key;
  }

  async add(checkpoint: CompletedCheckpoint): Promise<void> {
    await this.#redis
      .multi()
      .lpush(this.#key, JSON.stringify(checkpoint))
      .ltrim(this.#key, 0, this.#retain - 1)
      .exec();
  }

  async latest(): Promise<CompletedCheckpoint | undefined> {
    const raw = await this.#redis.lindex(this.#key, 0);
    return raw ? (JSON.parse(raw) as CompletedCheckpoint) : undefined;
  }

  async all(): Promise<CompletedCheckpoint[]> {
    return (await this.#redis.lrange(this.#key, 0, -1)).map((raw) => JSON.parse(raw) as CompletedCheckpoint);
  }

  async clear(): Promise<void> {
    await this.#redis.del(this.#key);
  }
}
