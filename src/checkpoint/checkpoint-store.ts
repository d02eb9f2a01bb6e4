// Where completed checkpoints live: Redis, newest first, the last N kept, one list per job (its
// consumer group), so a later run of the same job finds them. Storing a checkpoint also records
// each task's position and checkpoint id in the job's task leases, in the same transaction: a
// task's next owner resumes from the last completed checkpoint (runtime/task-lease-store.ts).

import type { Redis } from 'ioredis';
import { jobKeys, leaseField } from '../runtime/job-keys.js';
import type { CompletedCheckpoint } from './completed-checkpoint.js';

export class CheckpointStore {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #leases: string;
  readonly #retain: number;

  constructor(redis: Redis, groupId: string, retain = 5) {
    this.#redis = redis;
    const keys = jobKeys(groupId);
    this.#key = keys.checkpoints;
    this.#leases = keys.leases;
    this.#retain = retain;
  }

  get key(): string {
    return this.#key;
  }

  async add(checkpoint: CompletedCheckpoint): Promise<void> {
    const tx = this.#redis
      .multi()
      .lpush(this.#key, JSON.stringify(checkpoint))
      .ltrim(this.#key, 0, this.#retain - 1);
    for (const t of checkpoint.tasks) {
      tx.hset(
        this.#leases,
        leaseField('p', t.topic, t.partition),
        String(t.position),
        leaseField('c', t.topic, t.partition),
        String(checkpoint.id),
      );
    }
    await tx.exec();
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
