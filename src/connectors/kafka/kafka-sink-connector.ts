// The job's output topics, exactly once with Flink's two-phase commit: one transactional producer
// per task writes every Kafka sink of the job (its transactional.id is stable per task, so a new
// owner fences the old one and aborts what it left open). Results are staged in the task's open
// transaction; at a checkpoint's batch boundary the source offsets join it (phase one, with the
// consumer's group metadata, KIP-447), and only once the checkpoint completed is it committed.
// Invariant: output records and the source offset after them become visible together or not at
// all. Any failure inside a transaction aborts it and the runtime reads its records again from the
// last commit: a partly sent batch is never retried into the same transaction.

import type { KafkaOutputRecord, KafkaSink } from '../../api/sinks.js';
import type { KafkaEncoded } from '../../plan/sink-encoders.js';
import type {
  ConnectorBatch,
  PhaseOutcome,
  SinkConnector,
  TaskLease,
  TaskRef,
  WriteOutcome,
} from '../sink-connector.js';
import type { KafkaClientOptions } from './client-config.js';
import type { KafkaConsumer, LibrdKafkaError, MessageHeader } from './rdkafka.js';
import {
  TransactionalProducer,
  type TransactionalSession,
  type TransactionalSessionFactory,
  TransactionFencedError,
} from './transactional-producer.js';

/** A record the runtime writes for itself in a task's transaction (a changelog entry). */
export interface InternalRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** null: a tombstone (the key was deleted). */
  readonly value: Buffer | null;
}

export interface KafkaSinkContext {
  readonly kafka: Omit<KafkaClientOptions, 'clientId'>;
  readonly groupId: string;
  /**
   * The run the offsets belong to: committed with them (as their metadata), so a new run of the
   * same group does not take an earlier run's offsets for its own.
   */
  readonly runId: string;
  readonly taskManagerId: string;
  /** The TaskManager's consumer: offsets go into transactions with its group metadata. */
  readonly consumer: () => KafkaConsumer;
  /** How producers are made; tests wrap the real one to inject failures. */
  readonly sessions?: TransactionalSessionFactory;
}

/** librdkafka refuses these records at produce(): sending them again cannot succeed. */
const REFUSED_CODES = new Set([
  10, // MSG_SIZE_TOO_LARGE
  2, // INVALID_MSG
  87, // INVALID_RECORD
  -186, // __INVALID_ARG
]);

interface Producing {
  readonly session: TransactionalSession;
  readonly epoch: number;
}

export class KafkaSinkConnector implements SinkConnector {
  readonly kind = 'transactional';
  readonly keepsPosition = true;
  readonly commitsOffsets = true;
  readonly name: string;
  readonly sinks: readonly number[];
  readonly #topics: ReadonlyMap<number, KafkaSink<unknown>>;
  readonly #context: KafkaSinkContext;
  readonly #producers = new Map<string, Producing>();
  readonly #fenced = new Map<string, string>();
  readonly #sessions: TransactionalSessionFactory;

  constructor(sinks: ReadonlyMap<number, KafkaSink<unknown>>, context: KafkaSinkContext) {
    this.#topics = sinks;
    this.sinks = [...sinks.keys()];
    this.name = [...sinks.values()].map((s) => s.name).join(', ');
    this.#context = context;
    this.#sessions = context.sessions ?? TransactionalProducer.create;
  }

  async open(): Promise<void> {}

  async restore(task: TaskRef, lease: TaskLease): Promise<{ position: number | undefined }> {
    await this.release(task, false);
    const session = await this.#create(task);
    this.#producers.set(task.id, { session, epoch: lease.epoch });
    // What the last committed transaction read up to: the consumer group's committed offset.
    return { position: await this.#committedOffset(task) };
  }

  async write(batch: ConnectorBatch): Promise<WriteOutcome> {
    const producing = this.#owning(batch.task, batch.epoch);
    if (!producing) return { status: 'fenced' };
    const { session } = producing;
    try {
      await session.begin();
    } catch (error) {
      return this.#abortWith(batch.task, error);
    }
    for (const output of batch.outputs) {
      const sink = this.#topics.get(output.sink);
      if (!sink) continue;
      let records: readonly KafkaEncoded[];
      try {
        records = sink.combine
          ? sink.combine(output.values).map(encodeCombined)
          : (output.values as KafkaEncoded[]);
      } catch (error) {
        // The job's combine function threw: its records cannot be written, now or on a retry.
        await this.#abort(batch.task);
        return { status: 'refused', error, offsets: undefined };
      }
      for (let i = 0; i < records.length; i++) {
        const record = records[i] as KafkaEncoded;
        try {
          await session.send(
            sink.topic,
            record.value,
            // A string key would reach librdkafka as a C string, cut at its first NUL: send bytes.
            typeof record.key === 'string' && record.key.includes('\u0000')
              ? Buffer.from(record.key, 'utf8')
              : record.key,
            record.headers as MessageHeader[] | undefined,
            record.partition,
            record.timestamp,
          );
        } catch (error) {
          if (error instanceof TransactionFencedError) {
            this.#fence(batch.task, error.message);
            return { status: 'fenced' };
          }
          await this.#abort(batch.task);
          const code = (error as LibrdKafkaError).code;
          if (typeof code === 'number' && REFUSED_CODES.has(code)) {
            const source = sink.combine ? undefined : output.sources[i];
            return { status: 'refused', error, offsets: source ? [source.offset] : undefined };
          }
          return { status: 'aborted', error };
        }
      }
    }
    return { status: 'written' };
  }

  /**
   * Internal records of the task (its state's changelog) join the open transaction: they become
   * visible with the task's outputs and offsets, or not at all.
   */
  async stage(task: TaskRef, epoch: number, records: readonly InternalRecord[]): Promise<PhaseOutcome> {
    const producing = this.#owning(task, epoch);
    if (!producing) return 'fenced';
    try {
      await producing.session.begin();
      // The key as bytes: a JS string key is passed to librdkafka as a C string, cut at the first
      // NUL — and state keys are made of NUL-separated parts.
      for (const r of records)
        await producing.session.send(r.topic, r.value, Buffer.from(r.key, 'utf8'), undefined, r.partition);
      return 'done';
    } catch (error) {
      return this.#phaseFailed(task, error);
    }
  }

  /** Phase one: the source offset after the batch boundary joins the open transaction; nothing is visible yet. */
  async prepare(
    task: TaskRef,
    epoch: number,
    _checkpointId: number,
    position: number,
  ): Promise<PhaseOutcome> {
    const producing = this.#owning(task, epoch);
    if (!producing) return 'fenced';
    try {
      await producing.session.begin();
      await producing.session.sendOffsets(
        [{ topic: task.topic, partition: task.partition, offset: position, metadata: this.#context.runId }],
        this.#context.consumer(),
      );
      return 'done';
    } catch (error) {
      return this.#phaseFailed(task, error);
    }
  }

  /** Phase two, after the checkpoint completed: output and offsets become visible together. */
  async commit(task: TaskRef, epoch: number): Promise<PhaseOutcome> {
    const producing = this.#owning(task, epoch);
    if (!producing) return 'fenced';
    try {
      await producing.session.commit();
      return 'done';
    } catch (error) {
      return this.#phaseFailed(task, error);
    }
  }

  async release(task: TaskRef, _clean: boolean): Promise<void> {
    const producing = this.#producers.get(task.id);
    if (!producing) return;
    this.#producers.delete(task.id);
    await producing.session.abort().catch(() => {});
    await producing.session.close().catch(() => {});
  }

  async close(): Promise<void> {
    for (const producing of this.#producers.values()) {
      await producing.session.abort().catch(() => {});
      await producing.session.close().catch(() => {});
    }
    this.#producers.clear();
  }

  async #phaseFailed(task: TaskRef, error: unknown): Promise<PhaseOutcome> {
    if (error instanceof TransactionFencedError) {
      this.#fence(task, error.message);
      return 'fenced';
    }
    await this.#abort(task);
    return { aborted: error };
  }

  async #abortWith(task: TaskRef, error: unknown): Promise<WriteOutcome> {
    if (error instanceof TransactionFencedError) {
      this.#fence(task, error.message);
      return { status: 'fenced' };
    }
    await this.#abort(task);
    return { status: 'aborted', error };
  }

  /**
   * Drops the open transaction. A producer that cannot even abort is replaced (same transactional
   * id: initTransactions aborts what it left), so the task goes on with a fresh one.
   */
  async #abort(task: TaskRef): Promise<void> {
    const producing = this.#producers.get(task.id);
    if (!producing) return;
    try {
      await producing.session.abort();
    } catch {
      await producing.session.close().catch(() => {});
      this.#producers.set(task.id, { session: await this.#create(task), epoch: producing.epoch });
    }
  }

  /** Why the task's last write or phase was refused as fenced (for the task's error report). */
  fenceReason(task: TaskRef): string | undefined {
    return this.#fenced.get(task.id);
  }

  /** The task's producer if this epoch still owns it; otherwise records why it is fenced. */
  #owning(task: TaskRef, epoch: number): Producing | undefined {
    const producing = this.#producers.get(task.id);
    if (producing && producing.epoch === epoch) return producing;
    this.#fence(
      task,
      producing ? `epoch ${epoch} is not the producer's ${producing.epoch}` : 'no producer for the task',
    );
    return undefined;
  }

  #fence(task: TaskRef, why: string): void {
    this.#fenced.set(task.id, why);
  }

  #create(task: TaskRef): Promise<TransactionalSession> {
    return this.#sessions({
      ...this.#context.kafka,
      clientId: `sluice-${this.#context.taskManagerId}-sink-${task.id}`,
      // Stable per task: whoever owns the task next fences this producer.
      transactionalId: `sluice-${this.#context.groupId}-${task.topic}-${task.partition}`,
    });
  }

  #committedOffset(task: TaskRef): Promise<number | undefined> {
    return new Promise((resolve, reject) =>
      this.#context
        .consumer()
        .committed([{ topic: task.topic, partition: task.partition }], 10_000, (err, result) => {
          if (err) return reject(err);
          const committed = result?.[0];
          const offset = committed?.offset;
          // Another run's offsets are not this run's record (offsets committed without a run are).
          const otherRun = committed?.metadata && committed.metadata !== this.#context.runId;
          resolve(offset === undefined || offset < 0 || otherRun ? undefined : offset);
        }),
    );
  }
}

function encodeCombined(record: KafkaOutputRecord): KafkaEncoded {
  return {
    key: record.key,
    value: typeof record.value === 'string' ? Buffer.from(record.value) : record.value,
    headers: record.headers ? Object.entries(record.headers).map(([k, v]) => ({ [k]: v })) : undefined,
    ...(record.timestamp === undefined ? {} : { timestamp: record.timestamp }),
  };
}
