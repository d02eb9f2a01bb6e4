// The contract between a task and the connector behind one or more of the job's sinks. The runtime
// owns every position: it tells the connector the task's fencing epoch and the source offset range
// of each batch, and reads back only outcomes. A connector never decides where a task reads from.
//
// Three kinds, by what makes them exactly once:
//  - 'guarded':        each batch is applied atomically with this connector's own record of the
//                      task's position, and refused for an older epoch (Redis: one Lua script).
//  - 'idempotent':     each batch is durable once written, and writing it again changes nothing
//                      (a user's sink writing by the record ids it is given).
//  - 'transactional':  writes are staged in the task's open transaction; at a checkpoint the
//                      runtime prepares it (phase one) and, once the checkpoint completed,
//                      commits it (phase two). Kafka's output topics; a user's 2PC sink.

import type { SourceRecord } from '../api/records.js';

/** One task: a partition of a source topic (stage 0; later stages read repartition topics). */
export interface TaskRef {
  /** `<topic>-<partition>`. */
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
}

/** What the runtime knows durably of a task when a new owner claims it. */
export interface TaskLease {
  /** The new owner's fencing token: higher than every earlier owner's. */
  readonly epoch: number;
  /** The last completed checkpoint's position of the task, or the run's start (-1: unknown). */
  readonly position: number;
  /** The last completed checkpoint that recorded the task (-1: none yet). */
  readonly checkpointId: number;
}

export interface SinkOutput {
  /** The sink's index in the job's plan. */
  readonly sink: number;
  /** Encoded results (plan/sink-encoders.ts), in order. */
  readonly values: readonly unknown[];
  /** The source record of each value. */
  readonly sources: readonly SourceRecord[];
}

export interface ConnectorBatch {
  readonly task: TaskRef;
  readonly epoch: number;
  /** Source offsets this batch covers: [firstOffset, nextOffset). */
  readonly firstOffset: number;
  readonly nextOffset: number;
  /** One entry per sink this connector serves (possibly with no values). */
  readonly outputs: readonly SinkOutput[];
}

export type WriteOutcome =
  /** Durable (guarded, idempotent) or staged in the open transaction (transactional). */
  | { readonly status: 'written' }
  /** Guarded: the whole range was applied before (a retry, a replay): nothing changed. */
  | { readonly status: 'duplicate' }
  /** Guarded: applied before up to `position` (inside the range): nothing changed; send the rest. */
  | { readonly status: 'overlap'; readonly position: number }
  /** A newer owner claimed the task: stop writing to it. */
  | { readonly status: 'fenced' }
  /** Transactional: the open transaction is aborted; what it held must be written again. */
  | { readonly status: 'aborted'; readonly error: unknown }
  /**
   * The connector cannot write these records, and retrying cannot change that (a record the broker
   * refuses as too large, a Redis key of the wrong type). They go to the dead-letter topic; undefined
   * offsets: the whole batch. A transactional connector has aborted its open transaction too.
   */
  | { readonly status: 'refused'; readonly error: unknown; readonly offsets: readonly number[] | undefined };

export type PhaseOutcome = 'done' | 'fenced' | { readonly aborted: unknown };

export interface SinkConnector {
  readonly name: string;
  readonly kind: 'guarded' | 'idempotent' | 'transactional';
  /** The plan's sink indices this connector writes. */
  readonly sinks: readonly number[];
  /**
   * True when the connector keeps its own durable record of each task's position (guarded sinks;
   * Kafka's transactions carry the source offsets). Its `restore` answer is then authoritative.
   */
  readonly keepsPosition: boolean;
  /**
   * Transactional only: true when aborting the open transaction keeps what was already prepared
   * (a user's 2PC sink: prepared transactions wait for commit or recover); false when prepared
   * work lived in the open transaction and is gone with it (Kafka: one transaction per task).
   */
  readonly preparedSurvivesAbort?: boolean;
  /** True when the connector commits the consumer group's offsets itself (inside its transactions). */
  readonly commitsOffsets: boolean;
  open(): Promise<void>;
  /**
   * A new owner takes the task: fence earlier owners here, finish or drop what they left (a 2PC
   * sink's recovery), and say where this connector's durable output ends (undefined: no record).
   */
  restore(task: TaskRef, lease: TaskLease): Promise<{ position: number | undefined } | 'fenced'>;
  write(batch: ConnectorBatch): Promise<WriteOutcome>;
  /** Transactional only: phase one at a checkpoint's batch boundary; `position` is the source offset it covers. */
  prepare?(task: TaskRef, epoch: number, checkpointId: number, position: number): Promise<PhaseOutcome>;
  /** Transactional only: phase two, once the checkpoint completed. */
  commit?(task: TaskRef, epoch: number, checkpointId: number): Promise<PhaseOutcome>;
  /**
   * Not transactional: results of time passing (windows the clock closed, processing-time timers),
   * which have no record position. They were decided once, in a committed Kafka transaction that
   * holds them in the task's state, and are numbered per task: `seq` comes again after a crash (a
   * new owner hands over what it restored), and the connector applies each number once.
   */
  writeHeld?(task: TaskRef, seq: number, outputs: readonly SinkOutput[]): Promise<'written' | 'duplicate'>;
  /** The task is handed over (clean) or lost: drop whatever is staged and not committed. */
  release(task: TaskRef, clean: boolean): Promise<void>;
  close(): Promise<void>;
}

/** True when retrying the same call cannot help (an error that says `retriable: false`). */
export function isPermanent(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { retriable?: unknown }).retriable === false
  );
}
