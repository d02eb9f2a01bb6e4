// A promise-friendly wrapper of librdkafka's producer: idempotent (a retried send never writes a
// record twice), waits politely when its local queue is full, and turns delivery failures into a
// KAFKA_PRODUCE_FAILED on flush instead of losing them.

import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors/sluice-error.js';
import { kafkaAuthError, RefusalWatch } from './auth-failure.js';
import {
  baseClientConfig,
  describeKafkaError,
  type KafkaClientOptions,
  printClientLog,
} from './client-config.js';
import { type LibrdKafkaError, type MessageHeader, Producer, type ProducerGlobalConfig } from './rdkafka.js';

/** RD_KAFKA_RESP_ERR__QUEUE_FULL: the local queue is full, poll and try again. */
const QUEUE_FULL = -184;
/**
 * A queue that stays full this long means the broker takes nothing (it is down, or refuses): the
 * send fails instead of waiting for ever, so the command that writes ends with a message.
 */
export const QUEUE_FULL_LIMIT_MS = 60_000;
/**
 * Records sent whose delivery report has not reached JS yet, at most. The binding hands reports to
 * JS a batch per turn of the event loop (100 unpatched: a sender behind its pace queued 500 per turn
 * and the one-hour soak ended with 27.9 M reports still in the binding, failing its writer's count;
 * 10,000 with patches/confluent-kafka-javascript-delivery-reports-per-turn.patch). Whatever the
 * binding does, a sender this far ahead yields until the reports catch up: memory stays bounded
 * and `flush` has little to wait for.
 */
export const UNREPORTED_LIMIT = 100_000;

export interface ProducerOptions extends KafkaClientOptions {
  /** Extra librdkafka settings (they win over Sluice's defaults). */
  extra?: ProducerGlobalConfig;
  connectTimeoutMs?: number;
  /** How long a send waits on a full local queue before it fails (default QUEUE_FULL_LIMIT_MS). */
  queueFullLimitMs?: number;
  /** Records without a delivery report in JS before a send waits for them (default UNREPORTED_LIMIT). */
  unreportedLimit?: number;
}

export class KafkaProducer {
  readonly #producer: Producer;
  readonly #bootstrap: string;
  readonly #queueFullLimitMs: number;
  readonly #unreportedLimit: number;
  #queued = 0;
  #delivered = 0;
  #failed = 0;
  #failures: string[] = [];
  /** The client's latest errors (connection, idempotence state): named when a flush times out. */
  #clientErrors: string[] = [];

  private constructor(
    producer: Producer,
    bootstrap: string,
    queueFullLimitMs: number,
    unreportedLimit: number,
  ) {
    this.#producer = producer;
    this.#bootstrap = bootstrap;
    this.#queueFullLimitMs = queueFullLimitMs;
    this.#unreportedLimit = unreportedLimit;
    producer.on('event.error', (err: LibrdKafkaError) => {
      this.#clientErrors.push(describeKafkaError(err));
      if (this.#clientErrors.length > 5) this.#clientErrors.shift();
    });
    producer.on('delivery-report', (err: LibrdKafkaError | null) => {
      if (err) {
        this.#failed++;
        if (this.#failures.length < 10) this.#failures.push(describeKafkaError(err));
      } else this.#delivered++;
    });
  }

  static async connect(options: ProducerOptions): Promise<KafkaProducer> {
    const producer = new Producer({
      ...baseClientConfig(options),
      dr_cb: true,
      'enable.idempotence': true,
      acks: -1,
      'linger.ms': 5,
      'compression.type': 'lz4',
      'queue.buffering.max.messages': 500_000,
      ...options.extra,
    });
    const refusals = new RefusalWatch();
    producer.on('event.log', refusals.listen);
    printClientLog(producer, options);
    await new Promise<void>((resolve, reject) =>
      producer.connect({ timeout: options.connectTimeoutMs ?? 10_000 }, (err) =>
        err ? reject(err) : resolve(),
      ),
    ).catch((error: unknown) => {
      if (refusals.last)
        throw kafkaAuthError(options.bootstrapServers, options.security, refusals.last, error);
      throw new SluiceError(
        'KAFKA_PRODUCE_FAILED',
        `Could not connect a producer to ${options.bootstrapServers}: ${describeKafkaError(error)}. ` +
          'Check that the broker is up (`npx sluice infra status`).',
        { cause: error },
      );
    });
    producer.setPollInterval(50);
    return new KafkaProducer(
      producer,
      options.bootstrapServers,
      options.queueFullLimitMs ?? QUEUE_FULL_LIMIT_MS,
      options.unreportedLimit ?? UNREPORTED_LIMIT,
    );
  }

  get delivered(): number {
    return this.#delivered;
  }

  /** Records sent whose delivery report has not reached JS yet (in librdkafka or in the binding). */
  get unreported(): number {
    return this.#queued - this.#delivered - this.#failed;
  }

  /**
   * Queues one record; waits (without dropping it) while librdkafka's local queue is full, up to
   * QUEUE_FULL_LIMIT_MS, then fails naming the broker's latest errors.
   */
  async send(
    topic: string,
    partition: number | null,
    /** null: a tombstone. */
    value: Buffer | null,
    key?: string | Buffer | null,
    headers?: MessageHeader[],
  ): Promise<void> {
    let fullSince: number | undefined;
    for (;;) {
      try {
        this.#producer.produce(topic, partition, value, key ?? null, Date.now(), undefined, headers);
        this.#queued++;
        if (this.unreported > this.#unreportedLimit) await this.#catchUpWithReports(topic);
        return;
      } catch (error) {
        if ((error as LibrdKafkaError).code !== QUEUE_FULL) {
          throw new SluiceError(
            'KAFKA_PRODUCE_FAILED',
            `Could not queue a record for '${topic}': ${describeKafkaError(error)}.`,
            { cause: error },
          );
        }
        fullSince ??= Date.now();
        if (Date.now() - fullSince > this.#queueFullLimitMs) {
          throw new SluiceError(
            'KAFKA_PRODUCE_FAILED',
            `The producer's local queue stayed full for ${Math.round(this.#queueFullLimitMs / 1000)} s: ${this.#bootstrap} ` +
              `is not taking records for '${topic}' (${this.unreported} waiting).${this.#recentErrors()} ` +
              'Check the broker (`npx sluice infra status`).',
            { details: { topic } },
          );
        }
        this.#producer.poll();
        await sleep(5);
      }
    }
  }

  /**
   * Yields to the event loop (each turn hands JS another batch of reports) until the reports are
   * back under half the limit; fails like a full queue if none arrives for the queue-full limit.
   */
  async #catchUpWithReports(topic: string): Promise<void> {
    let answered = this.#delivered + this.#failed;
    let quietSince = Date.now();
    while (this.unreported > this.#unreportedLimit / 2) {
      this.#producer.poll();
      await setImmediate();
      if (this.#delivered + this.#failed > answered) {
        answered = this.#delivered + this.#failed;
        quietSince = Date.now();
      } else if (Date.now() - quietSince > this.#queueFullLimitMs) {
        throw new SluiceError(
          'KAFKA_PRODUCE_FAILED',
          `No delivery report came for ${Math.round(this.#queueFullLimitMs / 1000)} s: ${this.#bootstrap} ` +
            `is not taking records for '${topic}' (${this.unreported} waiting).${this.#recentErrors()} ` +
            'Check the broker (`npx sluice infra status`).',
          { details: { topic } },
        );
      } else await sleep(5);
    }
  }

  #recentErrors(): string {
    return this.#clientErrors.length ? ` Latest client errors: ${this.#clientErrors.join('; ')}.` : '';
  }

  /** Waits until every queued record is acknowledged; throws if any delivery failed. */
  async flush(timeoutMs = 30_000): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.#producer.flush(timeoutMs, (err) => (err ? reject(err) : resolve())),
    ).catch((error: unknown) => {
      throw new SluiceError(
        'KAFKA_PRODUCE_FAILED',
        `Records were not acknowledged by ${this.#bootstrap} within ${timeoutMs}ms: ${describeKafkaError(error)} ` +
          `(${this.unreported} of ${this.#queued} without an answer).${this.#recentErrors()}`,
        { cause: error },
      );
    });
    // flush() returns when librdkafka has its answers; their reports reach JS through poll and the
    // binding, a batch per turn of the event loop, a little later. Wait for every one, so `delivered`
    // is exact and no failure goes unseen: as long as they keep coming, and up to timeoutMs after
    // the last one.
    let answered = this.#delivered + this.#failed;
    let quietSince = Date.now();
    while (this.unreported > 0 && Date.now() - quietSince < timeoutMs) {
      this.#producer.poll();
      await setImmediate();
      if (this.#delivered + this.#failed > answered) {
        answered = this.#delivered + this.#failed;
        quietSince = Date.now();
      } else await sleep(5);
    }
    const missing = this.unreported;
    if (this.#failed > 0 || missing > 0) {
      const failed = this.#failed;
      const first = this.#failures[0] ?? 'no delivery report';
      this.#failed = 0;
      this.#failures = [];
      throw new SluiceError(
        'KAFKA_PRODUCE_FAILED',
        `${failed + missing} record(s) were not confirmed by ${this.#bootstrap} (${failed} failed, ${missing} without a report); ` +
          `first error: ${first}. They may be retried: the producer is idempotent.`,
        { details: { failed, missing } },
      );
    }
  }

  async close(): Promise<void> {
    if (!this.#producer.isConnected()) return;
    await new Promise<void>((resolve) => this.#producer.disconnect(5000, () => resolve()));
  }
}
