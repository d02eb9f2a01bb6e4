// A checkpoint that was triggered and waits for one acknowledgement per task. Tasks can only
// acknowledge or decline; a late, repeated or unexpected answer is answered with what it is
// (DUPLICATE, UNKNOWN, DISCARDED), never thrown.

import type { CheckpointFailureReason } from './checkpoint-failure-reason.js';
import type { CompletedCheckpoint, TaskSnapshot } from './completed-checkpoint.js';

export type AckResult = 'ACCEPTED' | 'DUPLICATE' | 'UNKNOWN' | 'DISCARDED';

export class PendingCheckpoint {
  readonly id: number;
  readonly jobRunId: string;
  readonly triggeredAt: number;
  readonly #tasks: number;
  readonly #acks = new Map<number, TaskSnapshot>();
  #disposed: CheckpointFailureReason | 'COMPLETED' | undefined;

  constructor(id: number, jobRunId: string, tasks: number, triggeredAt: number) {
    this.id = id;
    this.jobRunId = jobRunId;
    this.#tasks = tasks;
    this.triggeredAt = triggeredAt;
  }

  get isDisposed(): boolean {
    return this.#disposed !== undefined;
  }

  get acknowledged(): number {
    return this.#acks.size;
  }

  get isFullyAcknowledged(): boolean {
    return this.#acks.size === this.#tasks;
  }

  /** Tasks (slots) that have not acknowledged yet. */
  missing(): number[] {
    return Array.from({ length: this.#tasks }, (_, p) => p).filter((p) => !this.#acks.has(p));
  }

  acknowledge(snapshot: TaskSnapshot): AckResult {
    if (this.#disposed) return 'DISCARDED';
    if (snapshot.task < 0 || snapshot.task >= this.#tasks) return 'UNKNOWN';
    const existing = this.#acks.get(snapshot.task);
    if (existing && existing.epoch >= snapshot.epoch) return 'DUPLICATE';
    // A newer owner's snapshot replaces an older owner's one.
    this.#acks.set(snapshot.task, snapshot);
    return 'ACCEPTED';
  }

  abort(reason: CheckpointFailureReason): void {
    this.#disposed ??= reason;
  }

  /** Turns a fully acknowledged checkpoint into a completed one. */
  complete(completedAt: number): CompletedCheckpoint {
    if (!this.isFullyAcknowledged)
      throw new Error(`checkpoint ${this.id} is missing tasks ${this.missing().join(',')}`);
    if (this.#disposed) throw new Error(`checkpoint ${this.id} was already ${this.#disposed}`);
    this.#disposed = 'COMPLETED';
    return {
      id: this.id,
      jobRunId: this.jobRunId,
      triggeredAt: this.triggeredAt,
      completedAt,
      tasks: [...this.#acks.values()].sort((a, b) => a.task - b.task),
    };
  }
}
