// Bridges the consumer's rebalance callback to the task registry. Changes are handled one at a
// time, in the order the consumer reports them, and the consumer is told to (un)assign only once
// the registry is done: a revoked task finishes its batch in flight before its partition is
// released, and an assigned one starts reading exactly where its sinks still need records.

import type { RebalanceChange } from '../connectors/kafka/consumer.js';
import type { Assignment, KafkaConsumer } from '../connectors/kafka/rdkafka.js';
import type { EventLog } from '../logging/event-log.js';
import type { Task } from './task.js';
import type { Handover, TaskRegistry } from './task-registry.js';

/** How long a task fenced without losing its partition waits for a revocation before it is revived. */
const REVIVE_AFTER_MS = 3000;

/** What the TaskManager does around ownership changes (its load status, the JobManager's view). */
export interface OwnershipObserver {
  /** After tasks were created and restored (slots of the new tasks). */
  assigned(slots: readonly number[]): void;
  /** After tasks were handed over (revoked) or dropped (lost). */
  released(kind: 'revoked' | 'lost', slots: readonly number[]): void;
  /** A classic-protocol rebalance that gave this member nothing (it owns none). */
  nothingAssigned(): void;
}

export interface RebalanceListenerOptions {
  taskManagerId: string;
  pid: number;
  registry: TaskRegistry;
  events: EventLog;
  observer: OwnershipObserver;
}

export class RebalanceListener {
  readonly #o: RebalanceListenerOptions;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  /** Tasks seen closed dirty while still registered, and since when. */
  readonly #dirtySince = new Map<Task, number>();

  constructor(options: RebalanceListenerOptions) {
    this.#o = options;
  }

  /** The consumer's callback; returns at once, the work is queued. */
  readonly onRebalance = (consumer: KafkaConsumer, change: RebalanceChange): void => {
    this.#queue('rebalance handling', () => this.#handle(consumer, change));
  };

  /**
   * Called every second. A fenced task is closed dirty and its revocation (a new owner took it)
   * follows within a heartbeat; one still registered after REVIVE_AFTER_MS was fenced by the broker
   * itself and is revived (TaskRegistry.revive), in line with the rebalance changes.
   */
  reviveFenced(consumer: KafkaConsumer, now = Date.now()): void {
    const dirty = new Set(this.#o.registry.tasks().filter((t) => t.state === 'CLOSED_DIRTY'));
    for (const task of this.#dirtySince.keys()) if (!dirty.has(task)) this.#dirtySince.delete(task);
    for (const task of dirty) {
      const since = this.#dirtySince.get(task) ?? now;
      // Checked again after another wait if it is not revived now (a new owner claimed its lease).
      this.#dirtySince.set(task, now - since >= REVIVE_AFTER_MS ? now : since);
      if (now - since >= REVIVE_AFTER_MS)
        this.#queue('reviving a fenced task', () => this.#revive(consumer, task));
    }
  }

  #queue(what: string, work: () => Promise<void>): void {
    this.#pending++;
    this.#chain = this.#chain
      .then(work)
      .catch((error: unknown) => {
        this.#o.events.emit({
          type: 'taskmanager.consume_error',
          taskManagerId: this.#o.taskManagerId,
          error: `${what} failed: ${error instanceof Error ? error.message : String(error)}`,
        });
      })
      .finally(() => {
        this.#pending--;
      });
  }

  async #revive(consumer: KafkaConsumer, task: Task): Promise<void> {
    const { registry, events, taskManagerId, observer } = this.#o;
    const p = { topic: task.topic, partition: task.partition };
    // Revoked meanwhile: the registry has no dirty task left there, or a new one (revive checks).
    const assigned = consumer.assignments().some((a) => a.topic === p.topic && a.partition === p.partition);
    if (!assigned) return;
    const revived = await registry.revive(p);
    if (!revived) return;
    const { start } = revived;
    if (start !== undefined) safely(() => consumer.seek({ ...p, offset: start }, 0, () => {}));
    this.#whileRestoring(consumer, [p]);
    events.emit({ type: 'taskmanager.task_revived', taskManagerId, task: task.id, offset: start ?? -1 });
    observer.assigned([task.slot]);
  }

  /** True while a change is being handled or waits to be. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  async settled(): Promise<void> {
    await this.#chain;
  }

  /**
   * Keeps the partitions of tasks whose state is still coming back paused until it is back, then
   * reads them from the task's position.
   */
  #whileRestoring(
    consumer: KafkaConsumer,
    partitions: readonly { topic: string; partition: number }[],
  ): void {
    const { registry } = this.#o;
    const restoring = partitions.flatMap((p) => {
      const task = registry.find(p.topic, p.partition);
      const restored = task?.stateRestored;
      return task && restored ? [{ p, task, restored }] : [];
    });
    if (restoring.length === 0) return;
    safely(() => consumer.pause(restoring.map((r) => r.p)));
    for (const { p, task, restored } of restoring)
      void restored.then((running) => {
        if (!running || registry.find(p.topic, p.partition) !== task) return;
        safely(() => {
          // Resume, then seek to the task's position: a pause right after an assign can make
          // librdkafka drop the assign's offset (librdkafka issue #2190, whose workaround this is),
          // and records that reached the task before the pause took hold were refused.
          consumer.resume([p]);
          const offset = task.position;
          if (offset !== undefined) consumer.seek({ ...p, offset }, 0, () => {});
        });
      });
  }

  async #handle(consumer: KafkaConsumer, change: RebalanceChange): Promise<void> {
    const { registry, events, taskManagerId, observer } = this.#o;
    const partitions = change.partitions
      .map((p) => ({ topic: p.topic, partition: p.partition }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const slots = partitions
      .map((p) => registry.slots.slotOf(p.topic, p.partition))
      .filter((s): s is number => s !== undefined);
    if (change.kind === 'assign') {
      const starts = partitions.length > 0 ? await registry.handleAssignment(partitions) : new Map();
      const assignments: Assignment[] = partitions.map(({ topic, partition }) => {
        const offset = starts.get(registry.slots.slotOf(topic, partition) ?? -1);
        return offset === undefined ? { topic, partition } : { topic, partition, offset };
      });
      safely(() => consumer.incrementalAssign(assignments));
      this.#whileRestoring(consumer, partitions);
      if (partitions.length === 0) {
        // Classic groups tell every member about each rebalance, even with nothing for it.
        if (registry.size === 0) observer.nothingAssigned();
        return;
      }
      const owned = registry.slots.byTopic(registry.owned());
      for (const [topic, assigned] of registry.slots.byTopic(slots)) {
        events.emit({
          type: 'taskmanager.partitions_assigned',
          taskManagerId,
          pid: this.#o.pid,
          topic,
          partitions: assigned,
        });
        events.emit({
          type: 'taskmanager.topic_partitions',
          taskManagerId,
          topic,
          partitions: owned.get(topic) ?? [],
        });
      }
      observer.assigned(slots);
      return;
    }
    let handovers: Handover[];
    if (change.lost) {
      handovers = registry.handleLost(partitions);
      safely(() => consumer.incrementalUnassign(change.partitions));
    } else {
      handovers = await registry.handleRevocation(partitions);
      safely(() => consumer.incrementalUnassign(change.partitions));
    }
    for (const handover of handovers) {
      events.emit({
        type: change.lost ? 'taskmanager.partitions_lost' : 'taskmanager.partitions_revoked',
        taskManagerId,
        ...handover,
      });
    }
    observer.released(change.lost ? 'lost' : 'revoked', slots);
  }
}

/** (Un)assigning on a consumer that is closing throws; its partitions are released by the close. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    // The consumer is disconnecting: nothing left to hand over.
  }
}
