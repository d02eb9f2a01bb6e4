// The benchmarks' input: N JSON records of about 100 bytes, keyed k-0 … k-<keys-1>, each key always
// on the same partition (so a per-key count is exact for any consumer of the partition), written
// once before anything is timed and reused while the topic still holds exactly that input.

import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { PLAINTEXT } from '../connectors/kafka/client-config.js';
import { KafkaProducer } from '../connectors/kafka/producer.js';

export interface BenchInput {
  topic: string;
  partitions: number;
  records: number;
  keys: number;
  /** Expected count of every key. */
  perKey: (key: string) => number;
}

export function keyOf(id: number, keys: number): string {
  return `k-${id % keys}`;
}

export function benchRecord(id: number, keys: number): string {
  // Padded so each record is about 100 bytes, as the workload says.
  return JSON.stringify({ id, key: keyOf(id, keys), payload: `p-${id}`.padEnd(48, '.') });
}

export async function ensureBenchInput(options: {
  bootstrapServers: string;
  records: number;
  partitions: number;
  keys?: number;
  log?: (line: string) => void;
}): Promise<BenchInput> {
  const keys = options.keys ?? 1000;
  const topic = `sluice-bench-${options.records}-p${options.partitions}-k${keys}`;
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: options.bootstrapServers,
    clientId: 'sluice-bench-input',
  });
  try {
    const created = (await admin.createTopic(topic, options.partitions)) === 'created';
    const ends = await admin.endOffsets(topic, options.partitions);
    const present = [...ends.values()].reduce((a, b) => a + b, 0);
    if (!created && present !== options.records) {
      // Not exactly our input (an interrupted write): start it over.
      await admin.deleteTopic(topic);
      await new Promise((r) => setTimeout(r, 1000));
      await admin.createTopic(topic, options.partitions);
    }
    if (created || present !== options.records) {
      options.log?.(`writing ${options.records} input records to ${topic}`);
      await writeBenchRecords({ ...options, topic, keys, from: 1, to: options.records });
    }
  } finally {
    admin.close();
  }
  const base = Math.floor(options.records / keys);
  const extra = options.records % keys;
  return {
    topic,
    partitions: options.partitions,
    records: options.records,
    keys,
    // Ids 1..N: key k-i gets ids ≡ i (mod keys).
    perKey: (key) => {
      const i = Number(key.slice(2));
      return base + (i >= 1 && i <= extra ? 1 : 0);
    },
  };
}

/** Writes the records with ids from..to (inclusive) of an input of `keys` keys: key k-i on partition i mod partitions. */
export async function writeBenchRecords(options: {
  bootstrapServers: string;
  topic: string;
  partitions: number;
  keys: number;
  from: number;
  to: number;
}): Promise<void> {
  const { topic, keys, partitions } = options;
  const producer = await KafkaProducer.connect({
    security: PLAINTEXT,
    bootstrapServers: options.bootstrapServers,
    clientId: 'sluice-bench-writer',
  });
  try {
    for (let id = options.from; id <= options.to; id++)
      await producer.send(
        topic,
        (id % keys) % partitions,
        Buffer.from(benchRecord(id, keys)),
        keyOf(id, keys),
      );
    await producer.flush(300_000);
  } finally {
    await producer.close();
  }
}
