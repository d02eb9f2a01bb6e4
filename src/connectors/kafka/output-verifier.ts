// Reads a job's output topic as a downstream read_committed consumer would, from where the run
// started, and proves "every id exactly once" from what it sees: ids 1..N each once, nothing else.
// It is the Kafka sink's counterpart of the Redis id record, and the job monitor's progress source.

import { SluiceError } from '../../errors/sluice-error.js';
import { LatencyHistogram } from '../../metrics/latency-histogram.js';
import type { IdVerdict } from '../redis/id-verifier.js';
import { baseClientConfig, describeKafkaError, type KafkaConnection } from './client-config.js';
import { KafkaConsumer, type Message } from './rdkafka.js';

export interface OutputVerifierOptions extends KafkaConnection {
  topic: string;
  /** Offsets to start from, per partition (the output topic's end when the run started). */
  startOffsets: ReadonlyMap<number, number>;
  expected: number;
  /** Pulls the id (and, if it has one, the input's creation time) out of an output record's value. */
  parse: (value: Buffer) => { id: number; producedAt?: number | undefined };
}

export class OutputVerifier {
  readonly #o: OutputVerifierOptions;
  readonly #consumer: KafkaConsumer;
  readonly #seen: Uint8Array;
  #distinct = 0;
  #records = 0;
  #unexpected = 0;
  readonly #duplicated: number[] = [];
  #duplicatedCount = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  /** Input created → output visible to this read_committed reader. */
  readonly latency = new LatencyHistogram();

  private constructor(options: OutputVerifierOptions, consumer: KafkaConsumer) {
    this.#o = options;
    this.#consumer = consumer;
    this.#seen = new Uint8Array(options.expected + 1);
  }

  static async start(options: OutputVerifierOptions): Promise<OutputVerifier> {
    const consumer = new KafkaConsumer(
      {
        ...baseClientConfig({
          bootstrapServers: options.bootstrapServers,
          security: options.security,
          clientId: 'sluice-output-verifier',
        }),
        // Assigned by hand, never committing: the group id is only required by the client.
        'group.id': `sluice-output-verifier-${Date.now()}`,
        'enable.auto.commit': false,
        // Only what committed transactions wrote, as any downstream reader would see it.
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
        `Could not connect the reader that checks the output topic '${options.topic}': ${describeKafkaError(error)}. ` +
          'Check that the broker is up (`npx sluice infra status`).',
        { cause: error },
      );
    });
    consumer.assign(
      [...options.startOffsets].map(([partition, offset]) => ({ topic: options.topic, partition, offset })),
    );
    consumer.setDefaultConsumeTimeout(100);
    const verifier = new OutputVerifier(options, consumer);
    verifier.#running = true;
    verifier.#loop = verifier.#run();
    return verifier;
  }

  /** Distinct ids seen so far (the job's progress). */
  get distinct(): number {
    return this.#distinct;
  }

  get records(): number {
    return this.#records;
  }

  verdict(): IdVerdict {
    const missing: number[] = [];
    for (let id = 1; id <= this.#o.expected && missing.length < 20; id++)
      if (!this.#seen[id]) missing.push(id);
    const missingCount = this.#o.expected - this.#distinct;
    return {
      expected: this.#o.expected,
      distinct: this.#distinct + this.#unexpected,
      missing,
      missingCount,
      duplicated: [...this.#duplicated],
      duplicatedCount: this.#duplicatedCount,
      unexpectedCount: this.#unexpected,
      ok: missingCount === 0 && this.#duplicatedCount === 0 && this.#unexpected === 0,
    };
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()));
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const messages = await new Promise<Message[]>((resolve) =>
        this.#consumer.consume(5000, (err, m) => resolve(err ? [] : m)),
      );
      for (const m of messages) this.#see(m);
    }
  }

  #see(message: Message): void {
    this.#records++;
    let id = -1;
    try {
      const parsed = message.value ? this.#o.parse(message.value) : undefined;
      id = parsed?.id ?? -1;
      if (parsed?.producedAt) this.latency.record(Date.now() - parsed.producedAt);
    } catch {
      id = -1;
    }
    if (!Number.isInteger(id) || id < 1 || id > this.#o.expected) {
      this.#unexpected++;
      return;
    }
    if (this.#seen[id]) {
      this.#duplicatedCount++;
      if (this.#duplicated.length < 20) this.#duplicated.push(id);
      return;
    }
    this.#seen[id] = 1;
    this.#distinct++;
  }
}
