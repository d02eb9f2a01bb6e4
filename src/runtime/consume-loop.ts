// The consume loop of a TaskManager: poll the consumer for a batch, split it per source partition,
// hand each part to its task (tasks of different partitions run side by side), and report what
// each task did. Short polls keep the loop responsive to stop requests and rebalances; a batch is
// what is ready once the first record arrived, so no record waits for a batch to fill.

import { setTimeout as sleep } from 'node:timers/promises';
import type { SourceRecord } from '../api/records.js';
import { describeKafkaError } from '../connectors/kafka/client-config.js';
import type { KafkaConsumer, Message } from '../connectors/kafka/rdkafka.js';
import type { Task } from './task.js';
import type { BatchResult } from './task-options.js';
import type { TaskRegistry } from './task-registry.js';

export interface ConsumeLoopOptions {
  consumer: KafkaConsumer;
  registry: TaskRegistry;
  batchSize: number;
  /** A poll brought records, before they go to their tasks. */
  onPolled?: (messages: readonly Message[]) => void;
  /** True once the TaskManager is stopping: the loop ends after the batch in hand. */
  stopping: () => boolean;
  /** After a task applied a batch (`records` are the part of the poll that went to it). */
  onApplied: (task: Task, result: BatchResult, records: readonly SourceRecord[]) => void;
  /** A task's write was refused because a newer owner took the partition (a zombie's write). */
  onFenced: (task: Task) => void;
  onError: (error: string, code?: number) => void;
}

export class ConsumeLoop {
  readonly #o: ConsumeLoopOptions;

  constructor(options: ConsumeLoopOptions) {
    this.#o = options;
  }

  async run(): Promise<void> {
    while (!this.#o.stopping()) {
      const messages = await this.poll(this.#o.batchSize);
      if (messages.length === 0) continue;
      this.#o.onPolled?.(messages);
      await this.#process(messages);
    }
  }

  /** One poll; also what serves the rebalance callback while the TaskManager leaves the group. */
  poll(max: number): Promise<Message[]> {
    return new Promise((resolve) => {
      this.#o.consumer.consume(max, (err, messages) => {
        if (err) {
          this.#o.onError(describeKafkaError(err), err.code);
          // Back off a little so a persistent error does not spin.
          void sleep(200).then(() => resolve([]));
          return;
        }
        resolve(messages);
      });
    });
  }

  async #process(messages: Message[]): Promise<void> {
    const { registry } = this.#o;
    const byTask = new Map<Task, SourceRecord[]>();
    // A poll comes in runs of one partition: look the task up when the partition changes, not per record.
    let at: { topic: string; partition: number; list: SourceRecord[] | undefined } | undefined;
    for (const m of messages) {
      if (at?.partition !== m.partition || at.topic !== m.topic) {
        const task = registry.find(m.topic, m.partition);
        let list = task ? byTask.get(task) : undefined;
        if (task && !list) {
          list = [];
          byTask.set(task, list);
        }
        at = { topic: m.topic, partition: m.partition, list };
      }
      const list = at.list;
      if (!list) continue;
      // A librdkafka Message already has a SourceRecord's fields: no copy per record.
      list.push(m as SourceRecord);
    }
    await Promise.all(
      [...byTask].map(async ([task, records]) => {
        const result = await task.process(records);
        if (result.outcome === 'applied') this.#o.onApplied(task, result, records);
        else if (result.outcome === 'fenced') this.#o.onFenced(task);
      }),
    );
  }
}
