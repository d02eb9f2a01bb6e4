// A new run of a job: every task's lease starts at the run's first offsets (epochs kept, so owners
// of an earlier run stay fenced), and every guarded Redis sink's record of positions with it. The
// seed's counter starts again from zero; a keyed Redis write's own keys are the job's, not reset.

import type { Redis } from 'ioredis';
import { guardKeysOf, resetCounter, resetGuard } from '../connectors/redis/redis-sink.js';
import type { JobPlan } from '../plan/job-plan.js';
import { TaskLeaseStore } from './task-lease-store.js';

export interface RunStart {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export async function resetRun(
  redis: Redis,
  plan: JobPlan,
  groupId: string,
  starts: readonly RunStart[],
): Promise<void> {
  await new TaskLeaseStore(redis, groupId).reset(starts);
  for (const { sink } of plan.sinks) {
    if (sink.kind === 'redis-counter') await resetCounter(redis, sink.key, starts);
    else if (sink.kind === 'redis-write') await resetGuard(redis, guardKeysOf(sink, groupId), starts);
  }
}

/** Start offsets per topic (index = partition) as the flat list the resets take. */
export function runStarts(
  sources: readonly { topic: string; startPositions: readonly number[] }[],
): RunStart[] {
  return sources.flatMap((s) =>
    s.startPositions.map((offset, partition) => ({ topic: s.topic, partition, offset })),
  );
}
