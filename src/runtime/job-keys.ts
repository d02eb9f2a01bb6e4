// Where a job keeps its runtime records in Redis, all under its consumer group (a group is one
// job): task leases (epoch, checkpointed position), completed checkpoints, and the run record.

export interface JobKeys {
  /** Hash: e:<task> owner epoch, p:<task> checkpointed position, c:<task> that checkpoint's id. */
  readonly leases: string;
  /** List of completed checkpoints, newest first. */
  readonly checkpoints: string;
  /** The run this group is on (id, start positions), for a JobManager that restarts. */
  readonly record: string;
}

export function jobKeys(groupId: string): JobKeys {
  const base = `sluice:${groupId}`;
  return { leases: `${base}:leases`, checkpoints: `${base}:checkpoints`, record: `${base}:job` };
}

/** A task's name inside the lease hash (topic names cannot hold ':'). */
export function leaseField(kind: 'e' | 'p' | 'c', topic: string, partition: number): string {
  return `${kind}:${topic}:${partition}`;
}
