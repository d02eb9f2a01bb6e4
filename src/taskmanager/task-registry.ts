// The tasks a TaskManager owns, one per assigned partition, and the three moves of ownership that
// mirror the consumer's callbacks one to one (as Kafka Streams' TaskManager does):
// handleAssignment (create + restore), handleRevocation (drain, close clean), handleLost (close dirty).

import type { JobGraph } from '../api/pipeline.js';
import type { Sink } from '../api/sink.js';
import type { DeadLetter } from '../connectors/kafka/dead-letter-queue.js';
import { Task } from './task.js';

export interface Handover {
  partitions: number[];
  /** Each partition's next offset at hand-over (-1 when it had none), in the order of `partitions`. */
  offsets: number[];
}

export interface TaskRegistryOptions {
  topic: string;
  graph: JobGraph;
  sink: Sink<unknown>;
  onApplyError?: (partition: number, error: unknown, attempt: number) => void;
  deadLetters?: (letters: DeadLetter[]) => Promise<void>;
  checkpointTimeoutMs?: number;
}

export class TaskRegistry {
  readonly #tasks = new Map<number, Task>();
  readonly #options: TaskRegistryOptions;
  /** Records applied by tasks that are gone, so the TaskManager's total never goes backwards. */
  #retiredConsumed = 0;
  #retiredFailed = 0;

  constructor(options: TaskRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#tasks.size;
  }

  get(partition: number): Task | undefined {
    return this.#tasks.get(partition);
  }

  tasks(): Task[] {
    return [...this.#tasks.values()].sort((a, b) => a.partition - b.partition);
  }

  partitions(): number[] {
    return this.tasks().map((t) => t.partition);
  }

  /** Every record applied by this TaskManager, including by tasks it no longer has. */
  totalConsumed(): number {
    let total = this.#retiredConsumed;
    for (const task of this.#tasks.values()) total += task.consumed;
    return total;
  }

  /** Records this TaskManager sent to the dead-letter topic. */
  totalFailed(): number {
    let total = this.#retiredFailed;
    for (const task of this.#tasks.values()) total += task.failed;
    return total;
  }

  /** Creates and restores a task per new partition; returns where each must start reading. */
  async handleAssignment(partitions: readonly number[]): Promise<Map<number, number | undefined>> {
    const starts = new Map<number, number | undefined>();
    const { topic, graph, sink, onApplyError, deadLetters, checkpointTimeoutMs } = this.#options;
    await Promise.all(
      partitions.map(async (partition) => {
        const existing = this.#tasks.get(partition);
        if (existing) this.#retire(existing);
        const task = new Task({
          topic,
          partition,
          graph,
          sink,
          onApplyError: (error, attempt) => onApplyError?.(partition, error, attempt),
          ...(deadLetters ? { deadLetters } : {}),
          ...(checkpointTimeoutMs ? { checkpointTimeoutMs } : {}),
        });
        this.#tasks.set(partition, task);
        starts.set(partition, await task.restore());
      }),
    );
    return starts;
  }

  /** Drains each task's batch in flight, then closes it clean: its position is already durable. */
  async handleRevocation(partitions: readonly number[]): Promise<Handover> {
    const tasks = partitions.map((p) => this.#tasks.get(p)).filter((t): t is Task => t !== undefined);
    await Promise.all(tasks.map((t) => t.suspend()));
    for (const task of tasks) task.closeClean();
    // A transactional sink drops what is staged and not committed: the next owner reads it again.
    await Promise.all(partitions.map((p) => this.#options.sink.release?.(p, true)));
    return this.#handOver(partitions);
  }

  /** The partitions are already someone else's: close at once, write nothing more. */
  handleLost(partitions: readonly number[]): Handover {
    for (const p of partitions) this.#tasks.get(p)?.closeDirty();
    for (const p of partitions) void this.#options.sink.release?.(p, false);
    return this.#handOver(partitions);
  }

  #handOver(partitions: readonly number[]): Handover {
    const sorted = [...partitions].sort((a, b) => a - b);
    const offsets = sorted.map((p) => this.#tasks.get(p)?.position ?? -1);
    for (const p of sorted) {
      const task = this.#tasks.get(p);
      if (task) this.#retire(task);
    }
    return { partitions: sorted, offsets };
  }

  #retire(task: Task): void {
    this.#retiredConsumed += task.consumed;
    this.#retiredFailed += task.failed;
    this.#tasks.delete(task.partition);
  }
}
