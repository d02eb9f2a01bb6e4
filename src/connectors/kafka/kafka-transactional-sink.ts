// An exactly-once Kafka sink with Flink's two-phase commit: one transactional producer per partition
// (its transactional.id is stable per partition, so a new owner fences the old one), the task's
// output staged in an open transaction; at a checkpoint's batch boundary the source offsets go into
// that transaction (phase one, with the consumer's group metadata, KIP-447), and only once the
// checkpoint completed is the transaction committed (phase two).
// Invariant: output records and the consumer offset after them become visible together or not at
// all; a revoked or lost partition's open transaction is aborted, so read_committed readers see
// each input record's output exactly once. Offsets move only when a checkpoint completes.

import type {
  ApplyOutcome,
  OffsetRange,
  PartitionClaim,
  Sink,
  SinkContext,
  SinkFactory,
} from '../../api/sink.js';
import type { KafkaConsumer, TopicPartitionOffsetAndMetadata } from './rdkafka.js';
import { TransactionalProducer, TransactionFencedError } from './transactional-producer.js';

export interface KafkaSinkOptions<T> {
  /** The output topic. */
  topic: string;
  serialize: (result: T) => { key: string; value: Buffer };
  /**
   * Instead of one output record per result: the records a whole batch becomes (e.g. one count
   * delta per key). Still inside the batch's transaction, so still exactly once.
   */
  aggregate?: (results: readonly T[]) => { key: string; value: Buffer }[];
}

export function kafkaTransactionalSink<T>(options: KafkaSinkOptions<T>): SinkFactory<T> {
  return (context) => new KafkaTransactionalSink<T>(options, context);
}

/** What a failed (not fenced) phase asks of the task: read again from here. */
export interface Rewind {
  rewindTo: number;
}

class KafkaTransactionalSink<T> implements Sink<T> {
  readonly name = 'kafka-transactional';
  readonly commitsOffsets = true;
  readonly #o: KafkaSinkOptions<T>;
  readonly #context: SinkContext;
  readonly #producers = new Map<number, TransactionalProducer>();
  readonly #epochs = new Map<number, number>();
  /** Last position whose transaction committed, per partition: where to rewind after a failed commit. */
  readonly #committed = new Map<number, number>();
  /** Position prepared in the open transaction (phase one done), awaiting the checkpoint's completion. */
  readonly #prepared = new Map<number, number>();

  constructor(options: KafkaSinkOptions<T>, context: SinkContext) {
    this.#o = options;
    this.#context = context;
  }

  get #consumer(): KafkaConsumer {
    return this.#context.consumer as KafkaConsumer;
  }

  async open(): Promise<void> {}

  async claim(partition: number): Promise<PartitionClaim> {
    await this.release(partition, false);
    const producer = await TransactionalProducer.create({
      ...this.#context.kafka,
      clientId: `sluice-${this.#context.taskManagerId}-sink-${partition}`,
      // Stable per partition: whoever owns the partition next fences this producer.
      transactionalId: `sluice-${this.#context.groupId}-${this.#context.topic}-${partition}`,
    });
    this.#producers.set(partition, producer);
    const epoch = (this.#epochs.get(partition) ?? 0) + 1;
    this.#epochs.set(partition, epoch);
    // The group's committed offset is what the last committed transaction read up to; a new run
    // never starts before its own start position.
    const committed = await this.#committedOffset(partition);
    const floor = this.#context.startPositions[partition];
    const position = Math.max(committed ?? -1, floor ?? -1);
    if (position >= 0) this.#committed.set(partition, position);
    return { epoch, position: position >= 0 ? position : undefined };
  }

  async apply(
    partition: number,
    epoch: number,
    records: readonly T[],
    range: OffsetRange,
  ): Promise<ApplyOutcome> {
    const producer = this.#producers.get(partition);
    if (!producer || this.#epochs.get(partition) !== epoch)
      return { status: 'fenced', currentEpoch: this.#epochs.get(partition) ?? 0 };
    try {
      await producer.begin();
      const output = this.#o.aggregate ? this.#o.aggregate(records) : records.map(this.#o.serialize);
      for (const { key, value } of output) await producer.send(this.#o.topic, value, key);
      // Staged in the open transaction: visible to read_committed readers at the next checkpoint.
      return { status: 'applied', position: range.nextOffset };
    } catch (error) {
      if (error instanceof TransactionFencedError) return { status: 'fenced', currentEpoch: epoch + 1 };
      throw error;
    }
  }

  /** Phase one: the offsets go into the open transaction (with the group metadata); nothing is visible yet. */
  async preCommit(partition: number, position: number): Promise<'prepared' | 'fenced' | Rewind> {
    const producer = this.#producers.get(partition);
    if (!producer) return 'fenced';
    try {
      await producer.begin();
      const offsets: TopicPartitionOffsetAndMetadata[] = [
        { topic: this.#context.topic, partition, offset: position },
      ];
      await producer.sendOffsets(offsets, this.#consumer);
      this.#prepared.set(partition, position);
      return 'prepared';
    } catch (error) {
      return this.#failed(partition, producer, error);
    }
  }

  /** Phase two, after the checkpoint completed: commit, so output and offsets become visible together. */
  async commit(partition: number): Promise<'committed' | 'fenced' | Rewind> {
    const producer = this.#producers.get(partition);
    const position = this.#prepared.get(partition);
    if (!producer) return 'fenced';
    if (position === undefined) return 'committed';
    try {
      await producer.commit();
      this.#prepared.delete(partition);
      this.#committed.set(partition, position);
      return 'committed';
    } catch (error) {
      return this.#failed(partition, producer, error);
    }
  }

  async #failed(
    partition: number,
    producer: TransactionalProducer,
    error: unknown,
  ): Promise<'fenced' | Rewind> {
    this.#prepared.delete(partition);
    await producer.abort();
    if (error instanceof TransactionFencedError) return 'fenced';
    // Aborted: what was staged is gone; read it again from the last committed position.
    return { rewindTo: this.#committed.get(partition) ?? this.#context.startPositions[partition] ?? 0 };
  }

  async release(partition: number, _clean: boolean): Promise<void> {
    const producer = this.#producers.get(partition);
    if (!producer) return;
    this.#producers.delete(partition);
    this.#prepared.delete(partition);
    await producer.abort();
    await producer.close();
  }

  async close(): Promise<void> {
    for (const partition of [...this.#producers.keys()]) await this.release(partition, false);
  }

  #committedOffset(partition: number): Promise<number | undefined> {
    return new Promise((resolve) =>
      this.#consumer.committed([{ topic: this.#context.topic, partition }], 10_000, (err, result) => {
        const offset = result?.[0]?.offset;
        resolve(err || offset === undefined || offset < 0 ? undefined : offset);
      }),
    );
  }
}
