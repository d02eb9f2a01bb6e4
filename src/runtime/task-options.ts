// What a task is given (its partition, stage, sinks, lease store and the TaskManager's hooks) and
// what one batch of records gives back. Kept apart from task.ts, which holds the task's life.

import type { DeadLetter } from '../connectors/kafka/dead-letter-queue.js';
import type { SinkConnector, TaskRef } from '../connectors/sink-connector.js';
import type { CompiledStage } from './compile-stage.js';
import type { TaskStateBackend } from './state/task-state-backend.js';
import type { TaskLeases } from './task-lease-store.js';

export interface BatchResult {
  /** Records of this batch processed for the first time (a replay after a rewind is not counted again). */
  consumed: number;
  /** Of those, records sent to the dead-letter topic. */
  failed: number;
  /** Results handed to sinks. */
  emitted: number;
  outcome: 'applied' | 'skipped' | 'fenced';
  /** The last record of the batch, for progress lines. */
  lastOffset?: number;
}

export interface TaskOptions {
  task: TaskRef;
  /** The task's slot in the job (its index among all source partitions): how checkpoints name it. */
  slot: number;
  stage: CompiledStage;
  connectors: readonly SinkConnector[];
  leases: TaskLeases;
  /** The run's first offset of this partition: nothing before it is read (-1: not known). */
  start: number;
  /** Where records the job cannot process go; resolves once they are durably written. */
  deadLetters?: (letters: DeadLetter[]) => Promise<void>;
  /** Told about each failed attempt of something the task retries (a Redis outage, ...). */
  onError?: (what: string, error: unknown, attempt: number) => void;
  /** Makes the consumer read this task's partition again from `offset` (a rewind). */
  seek: (offset: number) => void;
  /** The longest a prepared checkpoint holds the task's next batch back (then it counts as aborted). */
  checkpointTimeoutMs?: number;
  /**
   * Per-task commits (SLUICE_CHECKPOINT_COMMIT=per-task): when every sink's transaction holds the
   * source offsets too (Kafka), the task's transaction commits at the checkpoint's barrier, right
   * after phase one, without waiting for the other tasks - Kafka Streams' exactly_once_v2, where
   * each task's transaction holds its output, its state's changelog and its offsets, so it is whole
   * on its own. The offsets committed may be those of a checkpoint another task declined. A task
   * with another sink keeps the two phases.
   */
  commitAtBarrier?: boolean;
  /**
   * With commitAtBarrier: a task also commits on its own clock, after a batch once this long has
   * passed since its last commit (Kafka Streams' commit.interval.ms), so its output does not wait
   * for the JobManager's next barrier.
   */
  commitIntervalMs?: number;
  /** Wait before retry `attempt` (tests pass 0). */
  backoffMs?: (attempt: number) => number;
  /** Just before the job's code runs over a batch (the TaskManager's watchdog names it if it never returns). */
  onRunning?: (firstOffset: number, lastOffset: number) => void;
  /**
   * The task's keyed state (a stage with stateful steps): restored before the first record, its
   * changes written to the changelog in the Kafka transaction, kept on disk once committed.
   */
  state?: TaskStateBackend;
  /** True when the consumer has read this partition to its end (an idle input may move event time). */
  caughtUp?: () => boolean;
  /**
   * Set when this task replaces a fenced one of the same partition in this process: where that one's
   * reading stood. Records at or past it may still be in flight from before the new task's seek.
   */
  fetchedTo?: number;
}
