// A steady input for the failover and latency benchmarks: keyed records written to their own topic
// at a fixed rate until stopped, so every partition keeps moving and progress (or its absence) is
// visible at any moment.

import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { PLAINTEXT } from '../connectors/kafka/client-config.js';
import { KafkaProducer } from '../connectors/kafka/producer.js';
import { benchRecord, keyOf } from './bench-input.js';

export interface SteadyInput {
  topic: string;
  partitions: number;
  keys: number;
  /** Records written so far. */
  written: () => number;
  stop: () => Promise<void>;
}

export async function startSteadyInput(options: {
  bootstrapServers: string;
  partitions: number;
  ratePerSecond: number;
  keys?: number;
}): Promise<SteadyInput> {
  const keys = options.keys ?? 1000;
  const topic = `sluice-bench-steady-${Date.now().toString(36)}`;
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: options.bootstrapServers,
    clientId: 'sluice-bench-steady-admin',
  });
  await admin.ensureTopic(topic, options.partitions);
  const producer = await KafkaProducer.connect({
    security: PLAINTEXT,
    bootstrapServers: options.bootstrapServers,
    clientId: 'sluice-bench-steady',
    extra: { 'linger.ms': 1 },
  });
  let id = 0;
  let running = true;
  const started = Date.now();
  const loop = (async () => {
    while (running) {
      const due = Math.floor(((Date.now() - started) / 1000) * options.ratePerSecond);
      while (id < due) {
        id++;
        await producer.send(
          topic,
          (id % keys) % options.partitions,
          Buffer.from(benchRecord(id, keys)),
          keyOf(id, keys),
        );
      }
      await sleep(5);
    }
  })();
  return {
    topic,
    partitions: options.partitions,
    keys,
    written: () => id,
    stop: async () => {
      running = false;
      await loop;
      await producer.flush().catch(() => {});
      await producer.close();
      await admin.deleteTopic(topic).catch(() => {});
      admin.close();
    },
  };
}
