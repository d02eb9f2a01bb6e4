// The tasks a TaskManager owns, one per assigned source partition, and the three moves of
// ownership that mirror the consumer's callbacks one to one (as Kafka Streams' TaskManager does):
// handleAssignment (create + restore), handleRevocation (drain, close clean), handleLost (close dirty).

import type { DeadLetter } from '../connectors/kafka/dead-letter-queue.js';
import type { SinkConnector } from '../connectors/sink-connector.js';
import type { TaskSlots } from '../plan/task-slots.js';
import type { CompiledStage } from './compile-stage.js';
import type { TaskStateBackend } from './state/task-state-backend.js';
import { Task } from './task.js';
import type { TaskLeases } from './task-lease-store.js';

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Partitions handed over, per topic, with each one's next offset (-1 when it had none). */
export interface Handover {
  readonly topic: string;
  readonly partitions: number[];
  readonly offsets: number[];
}

export interface TaskRegistryOptions {
  slots: TaskSlots;
  /** The compiled stage that reads a topic (a job with repartitions has several). */
  stage: CompiledStage | ((topic: string) => CompiledStage);
  /** A stateful task's state (its stage has keyed steps). */
  state?: (
    task: { topic: string; partition: number; slot: number },
    stage: CompiledStage,
  ) => TaskStateBackend | undefined;
  /** True when the consumer has read the partition up to `readTo` (its end). */
  caughtUp?: (topic: string, partition: number, readTo: number) => boolean;
  connectors: readonly SinkConnector[];
  leases: TaskLeases;
  /** The run's first offset of a partition (-1 when not known). */
  start: (topic: string, partition: number) => number;
  deadLetters?: (letters: DeadLetter[]) => Promise<void>;
  onError?: (task: string, what: string, error: unknown, attempt: number) => void;
  seek: (topic: string, partition: number, offset: number) => void;
  checkpointTimeoutMs?: number;
  /** See TaskOptions.commitAtBarrier and commitIntervalMs. */
  commitAtBarrier?: boolean;
  commitIntervalMs?: number;
  /** Just before a task's job code runs over a batch (see TaskOptions.onRunning). */
  onRunning?: (slot: number, firstOffset: number, lastOffset: number) => void;
}

export class TaskRegistry {
  readonly #tasks = new Map<number, Task>();
  readonly #o: TaskRegistryOptions;
  /** Totals of tasks that are gone, so the TaskManager's totals never go backwards. */
  #retired = { consumed: 0, failed: 0, emitted: 0 };
  /** The same per slot: a task that comes back adds to what it did before. */
  readonly #retiredBySlot = new Map<number, { consumed: number; failed: number; emitted: number }>();

  constructor(options: TaskRegistryOptions) {
    this.#o = options;
  }

  get size(): number {
    return this.#tasks.size;
  }

  get slots(): TaskSlots {
    return this.#o.slots;
  }

  get(slot: number): Task | undefined {
    return this.#tasks.get(slot);
  }

  find(topic: string, partition: number): Task | undefined {
    const slot = this.#o.slots.slotOf(topic, partition);
    return slot === undefined ? undefined : this.#tasks.get(slot);
  }

  /** Tasks by slot. */
  tasks(): Task[] {
    return [...this.#tasks.entries()].sort(([a], [b]) => a - b).map(([, t]) => t);
  }

  /** Slots of the tasks owned now, sorted. */
  owned(): number[] {
    return [...this.#tasks.keys()].sort((a, b) => a - b);
  }

  /** Every record processed by this TaskManager, including by tasks it no longer has. */
  totalConsumed(): number {
    return this.#total('consumed');
  }

  /** Records this TaskManager sent to the dead-letter topic. */
  totalFailed(): number {
    return this.#total('failed');
  }

  /** Results this TaskManager handed to sinks. */
  totalEmitted(): number {
    return this.#total('emitted');
  }

  #total(what: 'consumed' | 'failed' | 'emitted'): number {
    let total = this.#retired[what];
    for (const task of this.#tasks.values()) total += task[what];
    return total;
  }

  /**
   * Creates and restores a task per new partition; returns where each must start reading (by slot).
   * `fetchedTo`: the task replaces a fenced one that was handed records up to there (see revive).
   */
  async handleAssignment(
    partitions: readonly TopicPartition[],
    fetchedTo?: number,
  ): Promise<Map<number, number | undefined>> {
    const starts = new Map<number, number | undefined>();
    const o = this.#o;
    await Promise.all(
      partitions.map(async ({ topic, partition }) => {
        const slot = o.slots.slotOf(topic, partition);
        if (slot === undefined) return;
        const existing = this.#tasks.get(slot);
        if (existing) this.#retire(slot, existing);
        const id = `${topic}-${partition}`;
        const stage = typeof o.stage === 'function' ? o.stage(topic) : o.stage;
        const state = o.state?.({ topic, partition, slot }, stage);
        const task: Task = new Task({
          task: { id, topic, partition },
          slot,
          stage,
          ...(state ? { state } : {}),
          caughtUp: () => o.caughtUp?.(topic, partition, task.readTo) ?? false,
          connectors: o.connectors,
          leases: o.leases,
          start: o.start(topic, partition),
          seek: (offset) => o.seek(topic, partition, offset),
          onError: (what, error, attempt) => o.onError?.(id, what, error, attempt),
          ...(o.deadLetters ? { deadLetters: o.deadLetters } : {}),
          ...(o.checkpointTimeoutMs ? { checkpointTimeoutMs: o.checkpointTimeoutMs } : {}),
          ...(o.commitAtBarrier ? { commitAtBarrier: true } : {}),
          ...(o.commitIntervalMs ? { commitIntervalMs: o.commitIntervalMs } : {}),
          ...(fetchedTo !== undefined ? { fetchedTo } : {}),
          ...(o.onRunning ? { onRunning: (first, last) => o.onRunning?.(slot, first, last) } : {}),
        });
        this.#tasks.set(slot, task);
        starts.set(slot, await task.restore());
      }),
    );
    return starts;
  }

  /** Drains each task's batch in flight, closes it clean, and lets the sinks drop what is staged. */
  async handleRevocation(partitions: readonly TopicPartition[]): Promise<Handover[]> {
    const tasks = this.#select(partitions);
    await Promise.all(tasks.map((t) => t.suspend()));
    for (const task of tasks) task.closeClean();
    // A transactional sink drops what is staged and not committed: the next owner reads it again.
    await Promise.all(
      tasks.flatMap((t) => this.#o.connectors.map((c) => c.release(t.ref, true).catch(() => {}))),
    );
    await Promise.all(tasks.map((t) => t.closeState()));
    return this.#handOver(partitions);
  }

  /** The partitions are already someone else's: close at once, write nothing more. */
  handleLost(partitions: readonly TopicPartition[]): Handover[] {
    const tasks = this.#select(partitions);
    for (const task of tasks) task.closeDirty();
    for (const task of tasks) {
      for (const c of this.#o.connectors) void c.release(task.ref, false).catch(() => {});
      void task.closeState();
    }
    return this.#handOver(partitions);
  }

  /**
   * A task fenced while this process still has its partition, its lease claimed by nobody since:
   * the broker fenced its producer (a transaction it aborted across its restart), no new owner did,
   * so no revocation will come and the task would decline every checkpoint. A new task takes its
   * place, as Kafka Streams takes a migrated task up again: a new producer (fencing the old one's
   * transactional id), its state restored, reading again from the last checkpoint. Returns where
   * it starts reading, or undefined when there is nothing to revive (or another owner claimed it).
   */
  async revive(partition: TopicPartition): Promise<{ start: number | undefined } | undefined> {
    const old = this.find(partition.topic, partition.partition);
    if (old?.state !== 'CLOSED_DIRTY') return undefined;
    if ((await this.#o.leases.epoch(old.ref)) !== old.epoch) return undefined;
    if (this.find(partition.topic, partition.partition) !== old) return undefined;
    await Promise.all(this.#o.connectors.map((c) => c.release(old.ref, false).catch(() => {})));
    await old.closeState();
    const starts = await this.handleAssignment([partition], old.readTo);
    return { start: starts.get(old.slot) };
  }

  #select(partitions: readonly TopicPartition[]): Task[] {
    return partitions.map((p) => this.find(p.topic, p.partition)).filter((t): t is Task => t !== undefined);
  }

  #handOver(partitions: readonly TopicPartition[]): Handover[] {
    const byTopic = new Map<string, Handover>();
    for (const { topic, partition } of [...partitions].sort((a, b) => a.partition - b.partition)) {
      const entry = byTopic.get(topic) ?? { topic, partitions: [], offsets: [] };
      byTopic.set(topic, entry);
      entry.partitions.push(partition);
      entry.offsets.push(this.find(topic, partition)?.position ?? -1);
    }
    for (const { topic, partition } of partitions) {
      const slot = this.#o.slots.slotOf(topic, partition);
      const task = slot === undefined ? undefined : this.#tasks.get(slot);
      if (slot !== undefined && task) this.#retire(slot, task);
    }
    return [...byTopic.values()];
  }

  #retire(slot: number, task: Task): void {
    this.#retired.consumed += task.consumed;
    this.#retired.failed += task.failed;
    this.#retired.emitted += task.emitted;
    const before = this.#retiredBySlot.get(slot) ?? { consumed: 0, failed: 0, emitted: 0 };
    this.#retiredBySlot.set(slot, {
      consumed: before.consumed + task.consumed,
      failed: before.failed + task.failed,
      emitted: before.emitted + task.emitted,
    });
    this.#tasks.delete(slot);
  }

  /** The end of the input: tasks reading sources close their windows (they reach later stages as markers). */
  finish(): void {
    for (const task of this.#tasks.values()) void task.finish().catch(() => {});
  }

  /** Lets time pass for every task that keeps an event clock (timers, idle input). */
  tick(now = Date.now()): void {
    for (const task of this.#tasks.values()) void task.tick(now).catch(() => {});
  }

  /** Per slot this TaskManager ever owned: what its tasks did, those it still has and those it had. */
  totalsBySlot(): Map<number, { consumed: number; failed: number; emitted: number }> {
    const totals = new Map(this.#retiredBySlot);
    for (const [slot, task] of this.#tasks) {
      const before = totals.get(slot) ?? { consumed: 0, failed: 0, emitted: 0 };
      totals.set(slot, {
        consumed: before.consumed + task.consumed,
        failed: before.failed + task.failed,
        emitted: before.emitted + task.emitted,
      });
    }
    return totals;
  }
}
