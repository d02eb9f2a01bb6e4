// A transactional Kafka producer, one per task (partition): its transactional.id is stable per
// partition, so initTransactions() fences every earlier owner's producer and aborts whatever
// transaction it left open. Promise wrappers; librdkafka's error flags decide retry or give up.

import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors/sluice-error.js';
import {
  baseClientConfig,
  describeKafkaError,
  type KafkaClientOptions,
  printClientLog,
} from './client-config.js';
import {
  type KafkaConsumer,
  type LibrdKafkaError,
  type MessageHeader,
  Producer,
  type TopicPartitionOffsetAndMetadata,
} from './rdkafka.js';

/** RD_KAFKA_RESP_ERR__FENCED: the consumer group member whose metadata was sent is no longer current. */
const GROUP_MEMBER_FENCED = -144;

/** RD_KAFKA_RESP_ERR__QUEUE_FULL. */
const QUEUE_FULL = -184;
/** Kept well below the broker's transaction.max.timeout.ms (15 min), as Flink learned (FLINK-35870). */
export const TRANSACTION_TIMEOUT_MS = 60_000;

/** One wait for a commit; three of them bound it as the single 30 s wait did before. */
const COMMIT_ATTEMPT_MS = 10_000;

/**
 * Commits, asking again while librdkafka says the commit is retriable: a commit that timed out
 * goes on in the background, in an undetermined state, and must be asked for again — aborting it
 * instead (and reading the records again) could repeat results the broker did commit. An error that
 * requires an abort, or the last attempt's, is thrown.
 */
export async function commitRetrying(commitOnce: () => Promise<void>, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await commitOnce();
    } catch (error) {
      const details = error instanceof SluiceError ? error.details : {};
      const retriable = details.retriable === true && details.abortable !== true;
      if (!retriable || attempt >= attempts) throw error;
    }
  }
}

export class TransactionFencedError extends Error {
  constructor(cause: unknown) {
    super(`the transactional producer was fenced by a newer owner: ${describeKafkaError(cause)}`);
    this.name = 'TransactionFencedError';
  }
}

/** What the Kafka sink needs of a transactional producer (a test wraps one to inject failures). */
export interface TransactionalSession {
  readonly transactionalId: string;
  readonly inTransaction: boolean;
  begin(): Promise<void>;
  /** `partition` undefined: the producer's partitioner; `timestamp` undefined: now. A null value is a tombstone. */
  send(
    topic: string,
    value: Buffer | null,
    key: string | Buffer | null,
    headers?: MessageHeader[],
    partition?: number,
    timestamp?: number,
  ): Promise<void>;
  sendOffsets(offsets: TopicPartitionOffsetAndMetadata[], consumer: KafkaConsumer): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  close(): Promise<void>;
}

export type TransactionalSessionFactory = (
  options: KafkaClientOptions & { transactionalId: string },
) => Promise<TransactionalSession>;

/** How long close() waits for the transactional calls asked for (a commit's three attempts) to end. */
const CLOSE_WAIT_MS = 3 * COMMIT_ATTEMPT_MS + 5_000;

/**
 * Invariant: one transactional call at a time, and none once close() began. librdkafka refuses a
 * second concurrent call as a conflict, and a call on a producer being destroyed aborts the whole
 * process (`rd_kafka_txn_op_req0: rk_ops queue disabled`, seen when a revocation closed the
 * producer while a checkpoint's commit was being retried).
 */
export class TransactionalProducer implements TransactionalSession {
  readonly #producer: Producer;
  readonly transactionalId: string;
  #open = false;
  /** close() began: no new transactional call (those already asked for still run). */
  #closing = false;
  /** Set just before the disconnect: a call asked for earlier that has not started by then is refused. */
  #gone = false;
  /** The transactional calls asked for, in order (settled: none in progress). */
  #calls: Promise<unknown> = Promise.resolve();

  private constructor(producer: Producer, transactionalId: string) {
    this.#producer = producer;
    this.transactionalId = transactionalId;
  }

  static async create(
    options: KafkaClientOptions & { transactionalId: string },
  ): Promise<TransactionalProducer> {
    const producer = new Producer({
      ...baseClientConfig(options),
      'transactional.id': options.transactionalId,
      'transaction.timeout.ms': TRANSACTION_TIMEOUT_MS,
      'enable.idempotence': true,
      'linger.ms': 5,
      'compression.type': 'lz4',
      // No delivery report per record (a call into JavaScript each): the commit says whether every
      // record of the transaction was written, and a changelog's offsets are counted instead
      // (TransactionalStore.committed).
    });
    producer.on('event.error', () => {});
    producer.on('event.log', () => {});
    printClientLog(producer, options);
    await call<void>((cb) => producer.connect({ timeout: 10_000 }, (err) => cb(err)), 'connect');
    producer.setPollInterval(50);
    const tp = new TransactionalProducer(producer, options.transactionalId);
    await call<void>((cb) => producer.initTransactions(30_000, cb), 'initTransactions');
    return tp;
  }

  get inTransaction(): boolean {
    return this.#open;
  }

  /** Runs a transactional call after those asked for before it; refused once the producer is closing. */
  #serial(what: string, run: () => Promise<void>): Promise<void> {
    const refused = () =>
      new SluiceError('KAFKA_PRODUCE_FAILED', `Transactional ${what} refused: the producer is closed.`, {
        details: { retriable: false, abortable: false },
      });
    if (this.#closing) return Promise.reject(refused());
    const next = this.#calls.then(() => {
      if (this.#gone) throw refused();
      return run();
    });
    this.#calls = next.catch(() => {});
    return next;
  }

  begin(): Promise<void> {
    return this.#serial('beginTransaction', async () => {
      if (this.#open) return;
      await call<void>((cb) => this.#producer.beginTransaction(cb), 'beginTransaction');
      this.#open = true;
    });
  }

  async send(
    topic: string,
    value: Buffer | null,
    key: string | Buffer | null,
    headers?: MessageHeader[],
    partition?: number,
    timestamp?: number,
  ): Promise<void> {
    for (;;) {
      try {
        this.#producer.produce(
          topic,
          partition ?? null,
          value,
          key,
          timestamp ?? Date.now(),
          undefined,
          headers,
        );
        return;
      } catch (error) {
        if ((error as LibrdKafkaError).code !== QUEUE_FULL) throw error;
        this.#producer.poll();
        await sleep(5);
      }
    }
  }

  /** Puts the consumer's next offsets into the transaction, with its group metadata (KIP-447 fencing). */
  sendOffsets(offsets: TopicPartitionOffsetAndMetadata[], consumer: KafkaConsumer): Promise<void> {
    return this.#serial('sendOffsetsToTransaction', () =>
      call<void>(
        // Short: while the group rebalances this waits for the coordinator; failing fast aborts the
        // transaction and the next checkpoint tries again, long before the transaction's own timeout.
        (cb) => this.#producer.sendOffsetsToTransaction(offsets, consumer, 5_000, cb),
        'sendOffsetsToTransaction',
      ),
    );
  }

  commit(): Promise<void> {
    return this.#serial('commitTransaction', async () => {
      if (!this.#open) return;
      await commitRetrying(() =>
        call<void>((cb) => this.#producer.commitTransaction(COMMIT_ATTEMPT_MS, cb), 'commitTransaction'),
      );
      this.#open = false;
    });
  }

  /**
   * Drops the open transaction; throws when even that failed (the producer is then unusable). After
   * a commit in progress, it finds that transaction ended and has nothing to drop.
   */
  abort(): Promise<void> {
    return this.#serial('abortTransaction', async () => {
      if (!this.#open) return;
      this.#open = false;
      await call<void>((cb) => this.#producer.abortTransaction(30_000, cb), 'abortTransaction');
    });
  }

  /** Refuses further transactional calls, lets those asked for end (bounded), then disconnects. */
  async close(): Promise<void> {
    this.#closing = true;
    // The bound's timer must not keep a stopping process alive.
    await Promise.race([this.#calls, sleep(CLOSE_WAIT_MS, undefined, { ref: false })]);
    this.#gone = true;
    if (this.#producer.isConnected())
      await new Promise<void>((resolve) => this.#producer.disconnect(5000, () => resolve()));
  }
}

/** Runs one librdkafka call; a fenced producer becomes TransactionFencedError, others KAFKA_PRODUCE_FAILED. */
async function call<T>(
  run: (cb: (err: LibrdKafkaError | null | undefined) => void) => void,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    run((err) => {
      if (!err) return resolve(undefined as T);
      // PRODUCER_FENCED (90), INVALID_PRODUCER_EPOCH (47), fatal errors: a newer owner took over —
      // except Local: Fenced (-144) from sendOffsetsToTransaction, which says the consumer's group
      // membership is stale (a rebalance under way), not that another producer took the task: the
      // transaction is aborted and the producer replaced, and the task goes on if it still owns it.
      const staleMember = err.code === GROUP_MEMBER_FENCED && what === 'sendOffsetsToTransaction';
      if (!staleMember && (err.code === 90 || err.code === 47 || err.isFatal))
        return reject(new TransactionFencedError(err));
      reject(
        new SluiceError('KAFKA_PRODUCE_FAILED', `Transactional ${what} failed: ${describeKafkaError(err)}.`, {
          cause: err,
          details: { retriable: err.isRetriable === true, abortable: err.isTxnRequiresAbort === true },
        }),
      );
    }),
  );
}
