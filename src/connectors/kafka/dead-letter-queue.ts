// Where records that cannot be processed go, so bad input stops nothing and loses nothing: the
// original bytes (a tombstone stays one), keyed by their source coordinates, with the original key
// and headers kept and headers saying where they came from and why they failed. Records are
// confirmed by the broker before the batch they belong to is applied, so a crash can repeat a dead
// letter (same key) but never lose one.

import type { RecordFailure } from '../../api/record-error.js';
import type { SourceRecord } from '../../api/records.js';
import { SluiceError } from '../../errors/sluice-error.js';
import { DEAD_LETTER_MAX_BYTES } from './admin.js';
import type { KafkaConnection } from './client-config.js';
import { KafkaProducer } from './producer.js';
import type { MessageHeader } from './rdkafka.js';

export const DLQ_HEADERS = {
  topic: 'sluice.original.topic',
  partition: 'sluice.original.partition',
  offset: 'sluice.original.offset',
  code: 'sluice.error.code',
  message: 'sluice.error.message',
  taskManager: 'sluice.taskmanager',
  /** The source record's key, as its bytes (absent: it had none). */
  key: 'sluice.original.key',
  /** Set when the value did not fit the dead-letter topic: its size in bytes; the value is left out. */
  valueDropped: 'sluice.original.value.bytes',
} as const;

/** librdkafka (produce) and the broker (delivery) refuse a record larger than the topic takes. */
const TOO_LARGE = new Set([10, -176]); // MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR__MSG_SIZE_TOO_LARGE

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
      debug: options.debug,
      clientId: `sluice-${options.taskManagerId}-dlq`,
      // Few records: send them at once. As large as the dead-letter topics Sluice makes take.
      extra: { 'linger.ms': 0, 'message.max.bytes': DEAD_LETTER_MAX_BYTES },
    });
    return new DeadLetterQueue(options.topic, producer, options.taskManagerId);
  }

  /**
   * Writes the dead letters and waits until the broker confirmed every one. One whose value the
   * dead-letter topic refuses as too large (a topic made elsewhere, with a lower limit) is written
   * again without its value, its size in a header: the record itself stays in its source topic,
   * where its coordinates find it, and its partition is not held back by it.
   */
  async send(letters: readonly DeadLetter[]): Promise<void> {
    for (const letter of letters) await this.#send(letter, false);
    try {
      await this.#producer.flush(30_000);
    } catch (error) {
      if (!tooLarge(error)) throw error;
      // Which one the broker refused is not said: each again on its own, without its value if refused.
      for (const letter of letters) {
        await this.#send(letter, false);
        await this.#producer.flush(30_000).catch(async (again: unknown) => {
          if (!tooLarge(again)) throw again;
          await this.#send(letter, true);
          await this.#producer.flush(30_000);
        });
      }
    }
  }

  async #send({ record, failure }: DeadLetter, dropValue: boolean): Promise<void> {
    const headers: MessageHeader[] = [
      { [DLQ_HEADERS.topic]: record.topic },
      { [DLQ_HEADERS.partition]: String(record.partition) },
      { [DLQ_HEADERS.offset]: String(record.offset) },
      { [DLQ_HEADERS.code]: failure.code },
      { [DLQ_HEADERS.message]: failure.message },
      { [DLQ_HEADERS.taskManager]: this.#taskManagerId },
    ];
    if (record.key !== null && record.key !== undefined)
      headers.push({
        [DLQ_HEADERS.key]: typeof record.key === 'string' ? Buffer.from(record.key) : record.key,
      });
    if (dropValue) headers.push({ [DLQ_HEADERS.valueDropped]: String(record.value?.length ?? 0) });
    // The source's own headers follow Sluice's, as they were (names may repeat in Kafka).
    for (const h of record.headers ?? []) headers.push({ ...h });
    const send = (value: Buffer | null) =>
      this.#producer.send(
        this.topic,
        null,
        value,
        `${record.topic}-${record.partition}-${record.offset}`,
        headers,
      );
    try {
      await send(dropValue ? null : record.value);
    } catch (error) {
      if (dropValue || !tooLarge(error)) throw error;
      await this.#send({ record, failure }, true);
    }
  }

  async close(): Promise<void> {
    await this.#producer.close();
  }
}

function tooLarge(error: unknown): boolean {
  const cause = error instanceof SluiceError ? error.cause : error;
  const code = (cause as { code?: number } | undefined)?.code;
  return (
    (code !== undefined && TOO_LARGE.has(code)) ||
    /too large/i.test(String((cause as Error)?.message ?? error))
  );
}
