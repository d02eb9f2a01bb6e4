// A checkpoint every partition's task acknowledged: for each partition, the next offset to read,
// the owner's epoch and the task's state, taken at a batch boundary. Invariant: a partition's
// position is never lower than in the checkpoint completed before it.

export interface TaskSnapshot {
  readonly partition: number;
  /** Next offset to read: every record before it is applied by the sink, none after it. */
  readonly position: number;
  /** Fencing epoch of the task that took the snapshot. */
  readonly epoch: number;
  /** The task's operator state (for the sample job: records it applied since it took the partition). */
  readonly state: Record<string, number>;
}

export interface CompletedCheckpoint {
  readonly id: number;
  readonly jobRunId: string;
  readonly triggeredAt: number;
  readonly completedAt: number;
  /** One snapshot per partition, sorted by partition. */
  readonly tasks: readonly TaskSnapshot[];
}

/** partition → position, the form Kafka offset commits take. */
export function positionsOf(checkpoint: CompletedCheckpoint): Map<number, number> {
  return new Map(checkpoint.tasks.map((t) => [t.partition, t.position]));
}
