// Triggers checkpoints at an interval, one at a time, and tracks each from PendingCheckpoint to
// CompletedCheckpoint (every partition's task acknowledged) or to an abort with a reason. A
// completed checkpoint is stored, then announced, so TaskManagers commit its offsets to Kafka:
// committed group offsets only ever equal a completed checkpoint's positions.

import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckpointFailureReason } from './checkpoint-failure-reason.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { CompletedCheckpoint, TaskSnapshot } from './completed-checkpoint.js';
import { type AckResult, PendingCheckpoint } from './pending-checkpoint.js';

export interface CheckpointCoordinatorOptions {
  jobRunId: string;
  /** How many tasks (slots) every checkpoint needs an acknowledgement from. */
  tasks: number;
  intervalMs: number;
  timeoutMs: number;
  store: CheckpointStore;
  /** Asks every TaskManager to snapshot its tasks for this checkpoint. */
  trigger: (checkpointId: number) => void;
  /** Tells every TaskManager the checkpoint is complete (they commit its offsets). */
  notifyComplete: (checkpoint: CompletedCheckpoint) => void;
  /**
   * Checked before each periodic trigger: a reason not to trigger yet (as Flink does not trigger
   * while some tasks are not running), e.g. partitions without an owner while the group forms.
   */
  notReady?: () => string | undefined;
  onCompleted?: (checkpoint: CompletedCheckpoint) => void;
  /** After the store took it, before the announcement (the gap a JobManager crash may fall into). */
  onStored?: (checkpoint: CompletedCheckpoint) => void;
  onAborted?: (checkpointId: number, reason: CheckpointFailureReason, detail: string) => void;
  /** The last completed checkpoint in the store: ids continue after it, and, if it is of this job run, positions may not go below it. */
  previous?: CompletedCheckpoint;
  now?: () => number;
}

export interface CheckpointHistoryEntry {
  readonly id: number;
  readonly status: 'COMPLETED' | 'FAILED';
  readonly triggeredAt: number;
  readonly endedAt: number;
  readonly durationMs: number;
  /** Bytes of the stored checkpoint (completed ones). */
  readonly sizeBytes?: number;
  readonly failureReason?: CheckpointFailureReason;
  readonly detail?: string;
}

/** How many recent checkpoints the coordinator remembers for the REST API and dashboard. */
const HISTORY = 50;

export interface CheckpointStats {
  completed: number;
  aborted: Partial<Record<CheckpointFailureReason, number>>;
  lastCompleted: CompletedCheckpoint | undefined;
  /** Trigger to completion, last checkpoint. */
  lastDurationMs: number | undefined;
}

export class CheckpointCoordinator {
  readonly #o: CheckpointCoordinatorOptions;
  readonly #now: () => number;
  #nextId: number;
  #pending: PendingCheckpoint | undefined;
  #settle: (() => void) | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #stats: CheckpointStats = {
    completed: 0,
    aborted: {},
    lastCompleted: undefined,
    lastDurationMs: undefined,
  };
  readonly #history: CheckpointHistoryEntry[] = [];
  readonly #triggeredAt = new Map<number, number>();

  constructor(options: CheckpointCoordinatorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#nextId = (options.previous?.id ?? 0) + 1;
    // A new run starts from the topic's end, which an earlier run's checkpoint says nothing about.
    if (options.previous?.jobRunId === options.jobRunId) this.#stats.lastCompleted = options.previous;
  }

  get stats(): CheckpointStats {
    return { ...this.#stats, aborted: { ...this.#stats.aborted } };
  }

  /** The time between one checkpoint's end and the next trigger, and the bound on a checkpoint. */
  get config(): { intervalMs: number; timeoutMs: number } {
    return { intervalMs: this.#o.intervalMs, timeoutMs: this.#o.timeoutMs };
  }

  get pendingId(): number | undefined {
    return this.#pending?.id;
  }

  /** Recent checkpoints, newest first. */
  history(): CheckpointHistoryEntry[] {
    return [...this.#history];
  }

  #remember(entry: CheckpointHistoryEntry): void {
    this.#history.unshift(entry);
    if (this.#history.length > HISTORY) this.#history.length = HISTORY;
    this.#triggeredAt.delete(entry.id);
  }

  /** Starts periodic checkpoints: the next one is triggered `intervalMs` after the last one ended. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        await sleep(this.#o.intervalMs);
        if (this.#running && this.#o.notReady?.() === undefined) await this.triggerCheckpoint();
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#abortPending('COORDINATOR_SHUTDOWN', 'stopping');
    await this.#loop;
  }

  /** Triggers one checkpoint and waits for it to complete or abort; resolves with it if it completed. */
  async triggerCheckpoint(): Promise<CompletedCheckpoint | undefined> {
    while (this.#pending) await sleep(10);
    const pending = new PendingCheckpoint(this.#nextId++, this.#o.jobRunId, this.#o.tasks, this.#now());
    this.#pending = pending;
    this.#triggeredAt.set(pending.id, pending.triggeredAt);
    const settled = new Promise<void>((resolve) => {
      this.#settle = resolve;
    });
    const timer = setTimeout(
      () =>
        this.#abortPending(
          'TIMEOUT',
          `tasks ${pending.missing().join(', ')} did not acknowledge within ${this.#o.timeoutMs}ms`,
        ),
      this.#o.timeoutMs,
    );
    this.#o.trigger(pending.id);
    await settled;
    clearTimeout(timer);
    return this.#stats.lastCompleted?.id === pending.id ? this.#stats.lastCompleted : undefined;
  }

  /** A task's snapshots for a checkpoint; one answer per snapshot. */
  acknowledge(checkpointId: number, snapshots: readonly TaskSnapshot[]): AckResult[] {
    const pending = this.#pending;
    if (!pending || pending.id !== checkpointId) {
      return snapshots.map(() => (checkpointId < this.#nextId ? 'DISCARDED' : 'UNKNOWN'));
    }
    const results = snapshots.map((s) => pending.acknowledge(s));
    // Once: an acknowledgement may come while the completed checkpoint is being stored (it is still
    // the pending one until then), and is discarded; completing again would throw.
    if (pending.isFullyAcknowledged && !pending.isDisposed) void this.#complete(pending);
    return results;
  }

  decline(checkpointId: number, detail: string): AckResult {
    if (this.#pending?.id !== checkpointId) return checkpointId < this.#nextId ? 'DISCARDED' : 'UNKNOWN';
    this.#abortPending('TASK_DECLINED', detail);
    return 'ACCEPTED';
  }

  /** Partition ownership changed (revoked or lost): the pending checkpoint cannot stand. */
  ownershipChanged(kind: 'revoked' | 'lost', detail: string): void {
    this.#abortPending(kind === 'lost' ? 'TASK_LOST' : 'REBALANCE', detail);
  }

  async #complete(pending: PendingCheckpoint): Promise<void> {
    const checkpoint = pending.complete(this.#now());
    const previous = this.#stats.lastCompleted;
    if (previous) {
      const before = new Map(previous.tasks.map((t) => [t.task, t.position]));
      const regressed = checkpoint.tasks.find((t) => t.position < (before.get(t.task) ?? -1));
      if (regressed) {
        this.#aborted(
          pending.id,
          'POSITION_WENT_BACKWARDS',
          `${regressed.topic}-${regressed.partition}: ${before.get(regressed.task)} → ${regressed.position}`,
        );
        return;
      }
    }
    try {
      await this.#o.store.add(checkpoint);
    } catch (error) {
      this.#aborted(pending.id, 'STORE_FAILED', String(error));
      return;
    }
    this.#o.onStored?.(checkpoint);
    this.#stats.completed++;
    this.#stats.lastCompleted = checkpoint;
    this.#stats.lastDurationMs = checkpoint.completedAt - checkpoint.triggeredAt;
    this.#remember({
      id: checkpoint.id,
      status: 'COMPLETED',
      triggeredAt: checkpoint.triggeredAt,
      endedAt: checkpoint.completedAt,
      durationMs: checkpoint.completedAt - checkpoint.triggeredAt,
      sizeBytes: Buffer.byteLength(JSON.stringify(checkpoint)),
    });
    this.#o.notifyComplete(checkpoint);
    this.#o.onCompleted?.(checkpoint);
    this.#finish();
  }

  #abortPending(reason: CheckpointFailureReason, detail: string): void {
    const pending = this.#pending;
    if (!pending || pending.isDisposed) return;
    pending.abort(reason);
    this.#aborted(pending.id, reason, detail);
  }

  #aborted(id: number, reason: CheckpointFailureReason, detail: string): void {
    this.#stats.aborted[reason] = (this.#stats.aborted[reason] ?? 0) + 1;
    const triggeredAt = this.#triggeredAt.get(id) ?? this.#now();
    const endedAt = this.#now();
    this.#remember({
      id,
      status: 'FAILED',
      triggeredAt,
      endedAt,
      durationMs: endedAt - triggeredAt,
      failureReason: reason,
      detail,
    });
    this.#o.onAborted?.(id, reason, detail);
    this.#finish();
  }

  #finish(): void {
    this.#pending = undefined;
    this.#settle?.();
    this.#settle = undefined;
  }
}
