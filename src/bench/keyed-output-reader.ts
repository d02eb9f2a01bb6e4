// Reads a peer's output topic as a downstream read_committed consumer would and keeps the count of
// each key: summing per-batch deltas (Sluice's Kafka sink) or keeping the latest value (a Kafka
// Streams KTable's updates). Its total is the peer's progress; its per-key counts the exactness check.

import { baseClientConfig, describeKafkaError, PLAINTEXT } from '../connectors/kafka/client-config.js';
import { KafkaConsumer, type Message } from '../connectors/kafka/rdkafka.js';
import { SluiceError } from '../errors/sluice-error.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';

export type OutputMode = 'delta' | 'latest';

export class KeyedOutputReader {
  readonly counts = new Map<string, number>();
  /** How many records came for each key: once per key for an output of one final result each (windows). */
  readonly emissions = new Map<string, number>();
  /** Output record timestamp (Kafka Streams carries the input's) → seen here, for latency. */
  readonly latency = new LatencyHistogram();
  #total = 0;
  readonly #consumer: KafkaConsumer;
  readonly #mode: OutputMode;
  readonly #decode: (value: Buffer) => number;
  #running = true;
  #loop: Promise<void>;

  private constructor(consumer: KafkaConsumer, mode: OutputMode, decode: (value: Buffer) => number) {
    this.#consumer = consumer;
    this.#mode = mode;
    this.#decode = decode;
    this.#loop = this.#run();
  }

  static async start(options: {
    bootstrapServers: string;
    topic: string;
    partitions: number;
    mode: OutputMode;
    /** Output values: a decimal string (Sluice) or an 8-byte big-endian long (Kafka Streams). */
    decode: (value: Buffer) => number;
  }): Promise<KeyedOutputReader> {
    const consumer = new KafkaConsumer(
      {
        ...baseClientConfig({
          security: PLAINTEXT,
          bootstrapServers: options.bootstrapServers,
          clientId: 'sluice-bench-output-reader',
        }),
        'group.id': `sluice-bench-reader-${Date.now()}`,
        'enable.auto.commit': false,
        'isolation.level': 'read_committed',
      },
      { 'auto.offset.reset': 'earliest' },
    );
    consumer.on('event.log', () => {});
    consumer.on('event.error', () => {});
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
    ).catch((error: unknown) => {
      throw new SluiceError(
        'KAFKA_CONSUME_FAILED',
        `Could not connect the bench's output reader to ${options.bootstrapServers}: ${describeKafkaError(error)}. ` +
          'Check that the broker is up (`npx sluice infra status`) and run the bench again.',
        { cause: error },
      );
    });
    consumer.assign(
      Array.from({ length: options.partitions }, (_, partition) => ({
        topic: options.topic,
        partition,
        offset: 0,
      })),
    );
    consumer.setDefaultConsumeTimeout(50);
    consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
    return new KeyedOutputReader(consumer, options.mode, options.decode);
  }

  get total(): number {
    return this.#total;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()));
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const messages = await new Promise<Message[]>((resolve) =>
        this.#consumer.consume(10_000, (err, m) => resolve(err ? [] : m)),
      );
      for (const m of messages) {
        if (!m.value || m.key === undefined || m.key === null) continue;
        if (m.timestamp) this.latency.record(Date.now() - m.timestamp);
        const key = String(m.key);
        this.emissions.set(key, (this.emissions.get(key) ?? 0) + 1);
        const value = this.#decode(m.value);
        const before = this.counts.get(key) ?? 0;
        const after = this.#mode === 'delta' ? before + value : value;
        this.counts.set(key, after);
        this.#total += after - before;
      }
    }
  }
}

export const decodeDecimal = (value: Buffer): number => Number(value.toString());
export const decodeLong = (value: Buffer): number => Number(value.readBigInt64BE(0));
