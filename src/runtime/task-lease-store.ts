// The runtime's lease per task, kept in Redis: a fencing epoch that goes up by one with every new
// owner (every write a task makes carries it; a sink refuses an older one), and the task's position
// in the last completed checkpoint (written with the checkpoint, see CheckpointStore). A new owner
// claims the lease before it writes anything; sinks never hand out epochs or positions.

import type { Redis } from 'ioredis';
import { loadLua } from '../connectors/redis/lua-script.js';
import type { TaskLease, TaskRef } from '../connectors/sink-connector.js';
import { jobKeys, leaseField } from './job-keys.js';

interface LeaseCommands {
  sluiceClaimLease(
    leases: string,
    epoch: string,
    position: string,
    checkpoint: string,
  ): Promise<[number, number, number]>;
}

export interface TaskLeases {
  claim(task: TaskRef): Promise<TaskLease>;
  /** The task's current epoch (0: never claimed): higher than an owner's own once another claimed it. */
  epoch(task: TaskRef): Promise<number>;
}

export class TaskLeaseStore implements TaskLeases {
  readonly #redis: Redis & LeaseCommands;
  readonly key: string;

  constructor(redis: Redis, groupId: string) {
    this.#redis = redis as Redis & LeaseCommands;
    this.key = jobKeys(groupId).leases;
    this.#redis.defineCommand('sluiceClaimLease', { numberOfKeys: 1, lua: loadLua('claim-lease.lua') });
  }

  async claim(task: TaskRef): Promise<TaskLease> {
    const [epoch, position, checkpointId] = await this.#redis.sluiceClaimLease(
      this.key,
      leaseField('e', task.topic, task.partition),
      leaseField('p', task.topic, task.partition),
      leaseField('c', task.topic, task.partition),
    );
    return { epoch, position, checkpointId };
  }

  async epoch(task: TaskRef): Promise<number> {
    return Number((await this.#redis.hget(this.key, leaseField('e', task.topic, task.partition))) ?? 0);
  }

  /** A new run: every task starts at the run's start and has no checkpoint yet; epochs are kept. */
  async reset(starts: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    const tx = this.#redis.multi();
    for (const s of starts) {
      tx.hset(this.key, leaseField('p', s.topic, s.partition), String(s.offset));
      tx.hdel(this.key, leaseField('c', s.topic, s.partition));
    }
    await tx.exec();
  }
}
