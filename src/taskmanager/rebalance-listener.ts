// Bridges the consumer's rebalance callback to the task registry. Changes are handled one at a
// time, in the order the consumer reports them, and the consumer is told to (un)assign only once
// the registry is done: a revoked task finishes its batch in flight before its partition is
// released, and an assigned one starts reading exactly where its sink says the last owner stopped.

import type { RebalanceChange } from '../connectors/kafka/consumer.js';
import type { Assignment, KafkaConsumer } from '../connectors/kafka/rdkafka.js';
import type { EventLog } from '../logging/event-log.js';
import type { LoadStatus } from './load-status.js';
import type { TaskRegistry } from './task-registry.js';

export interface RebalanceListenerOptions {
  taskManagerId: string;
  pid: number;
  topic: string;
  registry: TaskRegistry;
  load: LoadStatus;
  events: EventLog;
  /** Told after every handled change (the TaskManager sends a heartbeat). */
  onChanged?: () => void;
}

export class RebalanceListener {
  readonly #o: RebalanceListenerOptions;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(options: RebalanceListenerOptions) {
    this.#o = options;
  }

  /** The consumer's callback; returns at once, the work is queued. */
  readonly onRebalance = (consumer: KafkaConsumer, change: RebalanceChange): void => {
    this.#pending++;
    this.#chain = this.#chain
      .then(() => this.#handle(consumer, change))
      .catch((error: unknown) => {
        this.#o.events.emit({
          type: 'taskmanager.consume_error',
          taskManagerId: this.#o.taskManagerId,
          error: `rebalance handling failed: ${error instanceof Error ? error.message : String(error)}`,
        });
      })
      .finally(() => {
        this.#pending--;
        this.#o.onChanged?.();
      });
  };

  /** True while a change is being handled or waits to be. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  async settled(): Promise<void> {
    await this.#chain;
  }

  async #handle(consumer: KafkaConsumer, change: RebalanceChange): Promise<void> {
    const { registry, events, taskManagerId, topic, load } = this.#o;
    const partitions = change.partitions.map((p) => p.partition).sort((a, b) => a - b);
    if (change.kind === 'assign') {
      const starts = partitions.length > 0 ? await registry.handleAssignment(partitions) : new Map();
      const assignments: Assignment[] = partitions.map((partition) => {
        const offset = starts.get(partition);
        return offset === undefined ? { topic, partition } : { topic, partition, offset };
      });
      safely(() => consumer.incrementalAssign(assignments));
      if (partitions.length > 0) {
        events.emit({
          type: 'taskmanager.partitions_assigned',
          taskManagerId,
          pid: this.#o.pid,
          topic,
          partitions,
        });
        events.emit({
          type: 'taskmanager.topic_partitions',
          taskManagerId,
          topic,
          partitions: registry.partitions(),
        });
        load.owned(registry.size);
      } else if (registry.size === 0) {
        // Classic groups tell every member about each rebalance, even with nothing for it.
        load.memberWithoutPartitions();
      }
      return;
    }
    if (change.lost) {
      const handover = registry.handleLost(partitions);
      safely(() => consumer.incrementalUnassign(change.partitions));
      events.emit({ type: 'taskmanager.partitions_lost', taskManagerId, topic, ...handover });
    } else {
      const handover = await registry.handleRevocation(partitions);
      safely(() => consumer.incrementalUnassign(change.partitions));
      events.emit({ type: 'taskmanager.partitions_revoked', taskManagerId, topic, ...handover });
    }
    load.owned(registry.size);
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
