// Where records that cannot be processed go, so bad input stops nothing and loses nothing: the
// original bytes, keyed by their source coordinates, with headers saying where they came from and
// why they failed. Records are confirmed by the broker before the batch they belong to is applied,
// so a crash can repeat a dead letter (same key) but never lose one.

import type { RecordFailure } from '../../api/record-error.js';
import type { SourceRecord } from '../../api/records.js';
import type { KafkaConnection } from './client-config.js';
import { KafkaProducer } from './producer.js';

export const DLQ_HEADERS = {
  topic: 'sluice.original.topic',
  partition: 'sluice.original.partition',
  offset: 'sluice.original.offset',
  code: 'sluice.error.code',
  message: 'sluice.error.message',
  taskManager: 'sluice.taskmanager',
} as const;

export interface DeadLetter {
  record: SourceRecord;
  failure: RecordFailure;
}

export class DeadLetterQueue {
  readonly topic: string;
  readonly #producer: KafkaProducer;
  readonly #taskManagerId: string;

  private constructor(topic: string, producer: KafkaProducer, taskManagerId: string) {
    this.topic = topic;
    this.#producer = producer;
    this.#taskManagerId = taskManagerId;
  }

  static async open(
    options: KafkaConnection & { topic: string; taskManagerId: string },
  ): Promise<DeadLetterQueue> {
    const producer = await KafkaProducer.connect({
      bootstrapServers: options.bootstrapServers,
      security: options.security,
      clientId: `sluice-${options.taskManagerId}-dlq`,
      // Few, small records: send them at once.
      extra: { 'linger.ms': 0 },
    });
    return new DeadLetterQueue(options.topic, producer, options.taskManagerId);
  }

  /** Writes the dead letters and waits until the broker confirmed every one. */
  async send(letters: readonly DeadLetter[]): Promise<void> {
    for (const { record, failure } of letters) {
      await this.#producer.send(
        this.topic,
        null,
        record.value ?? Buffer.alloc(0),
        `${record.topic}-${record.partition}-${record.offset}`,
        [
          { [DLQ_HEADERS.topic]: record.topic },
          { [DLQ_HEADERS.partition]: String(record.partition) },
          { [DLQ_HEADERS.offset]: String(record.offset) },
          { [DLQ_HEADERS.code]: failure.code },
          { [DLQ_HEADERS.message]: failure.message },
          { [DLQ_HEADERS.taskManager]: this.#taskManagerId },
        ],
      );
    }
    await this.#producer.flush(30_000);
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}
