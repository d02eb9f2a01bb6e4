// A TaskManager's part in checkpoints: on a trigger every task snapshots at its next batch boundary
// (transactional sinks do phase one there) and the TaskManager acknowledges, or declines when a
// task cannot take part; once the checkpoint completed, prepared transactions are committed and,
// unless a sink commits them inside its transactions, the consumer group's offsets are committed
// for the tasks still owned at the snapshot's epoch. Offsets move only with completed checkpoints.

import type { TaskSnapshot } from '../checkpoint/completed-checkpoint.js';
import { describeKafkaError } from '../connectors/kafka/client-config.js';
import type { KafkaConsumer } from '../connectors/kafka/rdkafka.js';
import type { TaskRegistry } from './task-registry.js';

export interface CompletedOffset {
  readonly task: number;
  readonly topic: string;
  readonly partition: number;
  readonly position: number;
  readonly epoch: number;
}

export interface CheckpointParticipantOptions {
  registry: TaskRegistry;
  consumer: () => KafkaConsumer | undefined;
  /** True when a sink commits the group's offsets inside its transactions (Kafka output topics). */
  sinkCommitsOffsets: boolean;
  acknowledge: (checkpointId: number, snapshots: TaskSnapshot[]) => void;
  decline: (checkpointId: number, tasks: number[], reason: string) => void;
  onError: (error: string) => void;
  stopping: () => boolean;
}

export class CheckpointParticipant {
  readonly #o: CheckpointParticipantOptions;
  /** The last checkpoint whose offsets this TaskManager committed (or whose transactions it committed). */
  lastCommitted = 0;

  constructor(options: CheckpointParticipantOptions) {
    this.#o = options;
  }

  /** Snapshots every task at its next batch boundary and acknowledges, or declines for those that cannot. */
  async trigger(checkpointId: number, taskManagerId: string): Promise<void> {
    const { registry } = this.#o;
    if (this.#o.stopping()) return;
    const tasks = registry.tasks();
    if (tasks.length === 0) return;
    const snapshots = await Promise.all(tasks.map((t) => t.snapshot(checkpointId)));
    const declined = tasks.filter((_, i) => snapshots[i] === undefined).map((t) => t.slot);
    if (declined.length > 0) {
      this.#o.decline(
        checkpointId,
        declined,
        `tasks of ${taskManagerId} cannot take part: ${tasks
          .filter((_, i) => snapshots[i] === undefined)
          .map((t) => `${t.slot} (${t.declined})`)
          .join(', ')}`,
      );
      return;
    }
    this.#o.acknowledge(
      checkpointId,
      snapshots.filter((s): s is TaskSnapshot => s !== undefined),
    );
  }

  /** The checkpoint completed: phase two, then the group's offsets for what this TaskManager still owns. */
  async complete(checkpointId: number, offsets: readonly CompletedOffset[]): Promise<void> {
    const { registry } = this.#o;
    const consumer = this.#o.consumer();
    if (!consumer || this.#o.stopping()) return;
    await Promise.all(registry.tasks().map((t) => t.completeCheckpoint(checkpointId)));
    if (this.#o.sinkCommitsOffsets) {
      this.lastCommitted = checkpointId;
      return;
    }
    const mine = offsets.filter((o) => {
      const task = registry.get(o.task);
      return task?.state === 'RUNNING' && task.epoch === o.epoch;
    });
    if (mine.length === 0) return;
    try {
      consumer.commit(mine.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.position })));
      this.lastCommitted = checkpointId;
    } catch (error) {
      this.#o.onError(`committing checkpoint ${checkpointId} failed: ${describeKafkaError(error)}`);
    }
  }

  abort(checkpointId: number): void {
    for (const task of this.#o.registry.tasks()) task.abortCheckpoint(checkpointId);
  }
}
