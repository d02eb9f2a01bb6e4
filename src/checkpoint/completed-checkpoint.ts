// A checkpoint every task acknowledged: for each task (a source partition, numbered by slot), the
// next offset to read, the owner's epoch and the task's state, taken at a batch boundary.
// Invariant: a task's position is never lower than in the checkpoint completed before it.

export interface TaskSnapshot {
  /** The task's slot (plan/task-slots.ts). */
  readonly task: number;
  readonly topic: string;
  readonly partition: number;
  /** Next offset to read: every record before it is applied by the sink, none after it. */
  readonly position: number;
  /** Fencing epoch of the task that took the snapshot. */
  readonly epoch: number;
  /** The task's counters since it took the partition (records in, results out, dead letters). */
  readonly state: Record<string, number>;
}

export interface CompletedCheckpoint {
  readonly id: number;
  readonly jobRunId: string;
  readonly triggeredAt: number;
  readonly completedAt: number;
  /** One snapshot per task, sorted by slot. */
  readonly tasks: readonly TaskSnapshot[];
}

/** slot → position. */
export function positionsOf(checkpoint: CompletedCheckpoint): Map<number, number> {
  return new Map(checkpoint.tasks.map((t) => [t.task, t.position]));
}
