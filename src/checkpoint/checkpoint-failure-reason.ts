// Why a checkpoint did not complete: a closed list, as Flink's CheckpointFailureReason.

export const CheckpointFailureReasons = {
  /** Not every partition's task acknowledged before the checkpoint timeout. */
  TIMEOUT: 'not every task acknowledged in time',
  /** A task declined (it was restoring, suspended or closing when asked). */
  TASK_DECLINED: 'a task declined the checkpoint',
  /** A task's partition was lost (its TaskManager died or was fenced) while the checkpoint was pending. */
  TASK_LOST: 'a task was lost while the checkpoint was pending',
  /** A partition changed owner while the checkpoint was pending. */
  REBALANCE: 'a partition changed owner while the checkpoint was pending',
  /** A partition's position is lower than in the previous completed checkpoint (must never happen). */
  POSITION_WENT_BACKWARDS: "a partition's position went backwards",
  /** The checkpoint could not be written to the checkpoint store. */
  STORE_FAILED: 'the checkpoint store could not be written',
  /** The coordinator was shut down while the checkpoint was pending. */
  COORDINATOR_SHUTDOWN: 'the coordinator shut down',
} as const;

export type CheckpointFailureReason = keyof typeof CheckpointFailureReasons;
