// Reads a changelog partition from an offset to its end, read_committed (aborted writes of a
// fenced owner are never seen), for a task restoring its state. One reader per TaskManager, used
// by one restore at a time (a restore whose task was let go stops between batches); "the end" is
// where librdkafka reports the partition's EOF, which under read_committed is the last stable
// offset — past the markers of the last committed transaction.

import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors/sluice-error.js';
import { baseClientConfig, describeKafkaError, type KafkaClientOptions } from './client-config.js';
import { KafkaConsumer, type Message } from './rdkafka.js';

export interface ChangelogRecord {
  readonly key: string;
  /** The value's JSON as UTF-8 bytes, as the store keeps it (not decoded: a restore only copies it); null: a tombstone. */
  readonly value: Buffer | null;
}

export interface ReadResult {
  /** The offset after the end that was read to (where a later restore goes on). */
  readonly next: number;
  readonly records: number;
  /** True when `stop` ended the read before the end: `next` is where it got to. */
  readonly stopped?: boolean;
}

export class ChangelogReader {
  readonly #consumer: KafkaConsumer;
  #eof: { topic: string; partition: number; offset: number } | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(consumer: KafkaConsumer) {
    this.#consumer = consumer;
    consumer.on('partition.eof', (eof) => {
      this.#eof = { topic: eof.topic, partition: eof.partition, offset: eof.offset };
    });
  }

  static async connect(options: KafkaClientOptions): Promise<ChangelogReader> {
    const consumer = new KafkaConsumer(
      {
        ...baseClientConfig(options),
        // Never used to join a group: partitions are assigned by hand, nothing is committed.
        'group.id': `${options.clientId}-restore`,
        'enable.auto.commit': false,
        'enable.partition.eof': true,
        'isolation.level': 'read_committed',
        'fetch.message.max.bytes': 4_194_304,
        // librdkafka fetches ahead only while its local queue holds fewer than this many records;
        // at the default (100,000) a restore that drains the queue in 10,000-record batches keeps
        // finding it empty and waits for the next fetch: 250,000 records read in 1.8 s at the
        // default, 0.8 s at 1,000,000 (docs/benchmarks.md, restore). The queue's byte bound
        // (queued.max.messages.kbytes, 64 MiB) still caps its memory.
        'queued.min.messages': 1_000_000,
        // The partition's EOF is reported only by a fetch that found nothing new, which the broker
        // holds for up to this long: at the default (500 ms) every restore, even of an empty or
        // 251-record changelog, ended half a second late (251 records: 524 ms → 34 ms at 10; the
        // reader is assigned only while it restores, so its empty fetches cost nothing after).
        'fetch.wait.max.ms': 10,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
    ).catch((error: unknown) => {
      throw new SluiceError(
        'KAFKA_CONSUME_FAILED',
        `Could not connect the state restore reader to ${options.bootstrapServers}: ${describeKafkaError(error)}.`,
        { cause: error },
      );
    });
    // Short: the client's batch consume keeps waiting its whole timeout when all it finds is the
    // partition's EOF, so every restore paid this wait once at its end (200 ms before; an empty
    // poll between fetches costs a thread hop, nothing more).
    consumer.setDefaultConsumeTimeout(20);
    // A batch is what is there once the first record is: no waiting for a full one.
    consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
    return new ChangelogReader(consumer);
  }

  /**
   * Reads [from, end) of the partition, handing each batch of records to `apply` (awaited, so a
   * store write keeps up), and `progress` the offset reached. Restores run one at a time. (Applying
   * a batch while the next is read was tried: no faster, 250,000 records in ~0.8 s either way.)
   */
  read(
    topic: string,
    partition: number,
    from: number,
    apply: (records: ChangelogRecord[], next: number) => Promise<void>,
    options: { timeoutMs?: number; stop?: () => boolean } = {},
  ): Promise<ReadResult> {
    const stop = options.stop ?? (() => false);
    const before = this.#queue;
    // #read answers a stopped restore at once, whether it stopped while waiting or before.
    const run = this.#turn(before, stop).then(() =>
      this.#read(topic, partition, from, apply, options.timeoutMs ?? 300_000, stop),
    );
    // The next read waits for this one and for every one before it (a stopped one returns early).
    this.#queue = Promise.allSettled([before, run]);
    return run;
  }

  /** Waits for the restores before this one, or until its task is let go (checked every 50 ms). */
  async #turn(before: Promise<unknown>, stop: () => boolean): Promise<void> {
    let done = false;
    const settled = before.then(() => {
      done = true;
    });
    while (!done && !stop()) await Promise.race([settled, sleep(50)]);
  }

  async #read(
    topic: string,
    partition: number,
    from: number,
    apply: (records: ChangelogRecord[], next: number) => Promise<void>,
    timeoutMs: number,
    stop: () => boolean,
  ): Promise<ReadResult> {
    const consumer = this.#consumer;
    // Its task was let go while it waited for its turn: nothing to read for it.
    if (stop()) return { next: Math.max(0, from), records: 0, stopped: true };
    // Already at the end (the common case: a store kept on this host, or an empty changelog): the
    // partition's high watermark says so at once, without waiting for a fetch to report EOF.
    const high = await new Promise<number | undefined>((resolve) =>
      consumer.queryWatermarkOffsets(topic, partition, 5000, (err, offsets) =>
        resolve(err ? undefined : offsets.highOffset),
      ),
    );
    if (high !== undefined && Math.max(0, from) >= high) return { next: Math.max(0, from), records: 0 };
    this.#eof = undefined;
    consumer.assign([{ topic, partition, offset: Math.max(0, from) }]);
    const deadline = Date.now() + timeoutMs;
    let next = Math.max(0, from);
    let records = 0;
    try {
      for (;;) {
        // Checked between batches: what was applied so far is kept, a later restore goes on from it.
        if (stop()) return { next, records, stopped: true };
        const messages = await new Promise<Message[]>((resolve, reject) =>
          consumer.consume(10_000, (err, list) => (err ? reject(err) : resolve(list))),
        ).catch(async (error: unknown) => {
          if (Date.now() > deadline) throw error;
          await sleep(200);
          return [] as Message[];
        });
        const batch: ChangelogRecord[] = [];
        for (const m of messages) {
          if (m.topic !== topic || m.partition !== partition) continue;
          const key = m.key === null || m.key === undefined ? '' : m.key.toString();
          batch.push({ key, value: m.value ?? null });
          next = m.offset + 1;
        }
        if (batch.length > 0) {
          records += batch.length;
          await apply(batch, next);
        }
        // The end is reached once the partition's EOF is reported at or past what was read: the
        // client reports it in order after the partition's records, so none before it is pending
        // (what lies between `next` and the end is transaction markers or aborted records).
        const end = this.#endOf(topic, partition);
        if (end !== undefined && (end >= next || messages.length === 0))
          return { next: Math.max(next, end), records };
        if (Date.now() > deadline) {
          throw new SluiceError(
            'STATE_RESTORE_FAILED',
            `Restoring ${topic}-${partition} did not reach the end of the changelog within ${Math.round(timeoutMs / 1000)} s ` +
              `(read to offset ${next}). Check the broker (\`npx sluice infra status\`).`,
          );
        }
      }
    } finally {
      consumer.unassign();
    }
  }

  /** Where the partition's EOF was reported (set by the consumer's event, between polls). */
  #endOf(topic: string, partition: number): number | undefined {
    const eof = this.#eof;
    return eof && eof.topic === topic && eof.partition === partition ? eof.offset : undefined;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()));
  }
}
