// Where a long-running job's identity lives: its run id, the job it runs, and where the run started
// each source partition, in Redis under the job's consumer group. A restarted JobManager reads it
// and attaches to the same run (its TaskManagers re-register with that run id) instead of starting
// over and resetting the sinks.

import type { Redis } from 'ioredis';
import { z } from 'zod';
import { SluiceError } from '../errors/sluice-error.js';
import { jobKeys } from '../runtime/job-keys.js';

const JobRecord = z.object({
  runId: z.string(),
  createdAt: z.number(),
  jobName: z.string(),
  startFrom: z.enum(['latest', 'earliest']),
  /** Each source topic's first offsets of the run (index = partition). */
  sources: z.array(z.object({ topic: z.string(), startPositions: z.array(z.number().int().nonnegative()) })),
  /** Changelog topics of the job's stateful steps: where this run's state begins in each partition. */
  changelogs: z
    .array(z.object({ topic: z.string(), startPositions: z.array(z.number().int().nonnegative()) }))
    .optional(),
});
export type JobRecord = z.infer<typeof JobRecord>;

export class JobRecordStore {
  readonly #redis: Redis;
  readonly key: string;

  constructor(redis: Redis, groupId: string) {
    this.#redis = redis;
    this.key = jobKeys(groupId).record;
  }

  /**
   * The recorded job, or undefined when none was recorded. An unreadable record is an error, not
   * "no record": starting over would reset the results of the job it describes.
   */
  async load(): Promise<JobRecord | undefined> {
    const raw = await this.#redis.get(this.key);
    if (!raw) return undefined;
    let parsed: ReturnType<typeof JobRecord.safeParse> | undefined;
    try {
      parsed = JobRecord.safeParse(JSON.parse(raw));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) return parsed.data;
    throw new SluiceError(
      'JOB_RECORD_INVALID',
      `The job record at Redis key '${this.key}' is unreadable. Fix: pass --new-run to start a new run ` +
        '(its results start from zero), or restore the record.',
    );
  }

  async save(record: JobRecord): Promise<void> {
    await this.#redis.set(this.key, JSON.stringify(record));
  }
}
