// Writes the job's input to the source topic, the seed's two ways. Kafka mode: N records
// {"id":n,"payload":...}. Redis mode: ids drawn from the Redis sequence in blocks (INCRBY), each
// record carrying its sequence number. Records are spread round-robin over the partitions.

import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { KafkaProducer } from '../connectors/kafka/producer.js';
import { kafkaModeMessage, redisModeMessage } from './sample-messages.js';

export interface GeneratorOptions {
  producer: KafkaProducer;
  topic: string;
  partitions: number;
  total: number;
  onProgress?: (produced: number) => void;
  /** Checked every few thousand records: true stops writing (the run was aborted). */
  shouldStop?: () => boolean;
  /** Records per second at most (0 or absent: as fast as the broker takes them). */
  ratePerSecond?: number;
}

/**
 * Keeps a generator at its rate: sleeps when it is ahead of `produced / rate`. Otherwise (no rate,
 * or behind it) it still lets the event loop run: a send that queues locally resolves at once, and
 * a loop of those would starve this process's timers and sockets - the JobManager's pings, its
 * checkpoints, its REST API - for as long as the local queue has room (seconds on a busy host).
 */
async function pace(started: number, produced: number, rate: number | undefined): Promise<void> {
  const ahead = rate ? started + (produced / rate) * 1000 - Date.now() : 0;
  if (ahead > 0) await sleep(ahead);
  else await setImmediate();
}

export async function produceKafkaMode(options: GeneratorOptions): Promise<void> {
  const { producer, topic, partitions, total } = options;
  const started = Date.now();
  for (let id = 1; id <= total; id++) {
    await producer.send(topic, (id - 1) % partitions, Buffer.from(kafkaModeMessage(id)), String(id));
    if (id % 500 === 0) await pace(started, id, options.ratePerSecond);
    if (id % 10_000 === 0) {
      options.onProgress?.(id);
      if (options.shouldStop?.()) break;
    }
  }
  await producer.flush(120_000);
  options.onProgress?.(total);
}

export interface RedisModeOptions extends GeneratorOptions {
  redis: Redis;
  sequenceKey: string;
  /** Ids taken from the sequence per round trip. */
  blockSize?: number;
  /** How long a refused INCRBY (Redis out of memory, restarting, frozen) is retried before the run fails. */
  retryForMs?: number;
  /** Told once when the sequence is refused, and once when it answers again. */
  onRetry?: (detail: string, resumed: boolean) => void;
}

/**
 * Draws a block from the sequence, retried while Redis refuses it (out of memory, loading its AOF
 * after a restart): the input is the outside world's, and a producer keeps trying. A refused INCRBY
 * was not applied; one lost with its connection may have been, and leaves a gap in the sequence,
 * which nobody counts on (ids are the records' own numbers).
 */
async function drawBlock(options: RedisModeOptions, blockSize: number): Promise<number> {
  const deadline = Date.now() + (options.retryForMs ?? 60_000);
  let since: number | undefined;
  for (;;) {
    try {
      const end = await options.redis.incrby(options.sequenceKey, blockSize);
      if (since !== undefined)
        options.onRetry?.(`the Redis sequence answers again after ${Date.now() - since} ms`, true);
      return end;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (Date.now() >= deadline)
        throw new Error(
          `the Redis sequence '${options.sequenceKey}' refused INCRBY for ${options.retryForMs ?? 60_000} ms: ${message}`,
        );
      if (since === undefined) {
        since = Date.now();
        options.onRetry?.(`the Redis sequence refused INCRBY (${message}) - retrying`, false);
      }
      await sleep(200);
    }
  }
}

export async function produceRedisMode(options: RedisModeOptions): Promise<void> {
  const { producer, topic, partitions, total } = options;
  const blockSize = options.blockSize ?? 1000;
  const started = Date.now();
  let produced = 0;
  while (produced < total) {
    const end = await drawBlock(options, blockSize);
    for (let sequence = end - blockSize + 1; sequence <= end && produced < total; sequence++) {
      produced++;
      await producer.send(
        topic,
        (produced - 1) % partitions,
        Buffer.from(redisModeMessage(produced, sequence)),
        String(produced),
      );
    }
    if (produced % 10_000 < blockSize) options.onProgress?.(produced);
    if (options.shouldStop?.()) break;
    await pace(started, produced, options.ratePerSecond);
  }
  await producer.flush(120_000);
  options.onProgress?.(total);
}
