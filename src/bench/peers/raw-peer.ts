// The raw limit: one librdkafka consumer reading every partition from the start with no processing
// at all. No consumer here can go faster than this.

import { baseClientConfig } from '../../connectors/kafka/client-config.js';
import { KafkaConsumer, type Message } from '../../connectors/kafka/rdkafka.js';
import type { BenchInput } from '../bench-input.js';
import type { BenchEnvironment, PeerResult } from './peer.js';

export async function runRawReader(env: BenchEnvironment, input: BenchInput): Promise<PeerResult> {
  const consumer = new KafkaConsumer(
    {
      ...baseClientConfig({ bootstrapServers: env.bootstrapServers, clientId: 'sluice-bench-raw' }),
      'group.id': `sluice-bench-raw-${Date.now()}`,
      'enable.auto.commit': false,
      // Large fetches and a deep local queue: the client's own ceiling, not a default.
      'queued.min.messages': 500_000,
      'fetch.message.max.bytes': 10_485_760,
      'fetch.max.bytes': 52_428_800,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  consumer.on('event.log', () => {});
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  consumer.assign(
    Array.from({ length: input.partitions }, (_, partition) => ({
      topic: input.topic,
      partition,
      offset: 0,
    })),
  );
  consumer.setDefaultConsumeTimeout(100);
  consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
  let count = 0;
  let first = 0;
  let bytes = 0;
  const deadline = Date.now() + 600_000;
  try {
    while (count < input.records && Date.now() < deadline) {
      const messages = await new Promise<Message[]>((resolve) =>
        consumer.consume(10_000, (err, m) => resolve(err ? [] : m)),
      );
      if (messages.length > 0 && count === 0) first = Date.now();
      count += messages.length;
      for (const m of messages) bytes += m.size;
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  const ms = Math.max(1, Date.now() - first);
  return {
    peer: 'raw-read',
    drain: { records: count, ms, recordsPerSecond: Math.round((count * 1000) / ms) },
    exact: count === input.records,
    detail: `${count} records read, ${(bytes / count).toFixed(0)} bytes each`,
  };
}
