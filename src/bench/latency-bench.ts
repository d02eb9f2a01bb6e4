// `bench latency`: a fixed input rate, and the time from a record's production to its result being
// visible, exactly once: Sluice (visible in Redis: its TaskManagers measure after the Lua commit)
// against Kafka Streams (visible to a read_committed reader of its output; Streams' output records
// keep the input's timestamp). p50, p99, p99.9 over the whole run.

import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { PLAINTEXT } from '../connectors/kafka/client-config.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { BenchInput } from './bench-input.js';
import { decodeLong, KeyedOutputReader } from './keyed-output-reader.js';
import { buildKafkaStreamsPeer, startKafkaStreams } from './peers/kafka-streams-peer.js';
import type { BenchEnvironment } from './peers/peer.js';
import { startSluice } from './peers/sluice-peer.js';
import { startSteadyInput } from './steady-input.js';

/** Measured after this long past start: what start-up left queued has drained by then. */
const WARM_UP_MS = 10_000;

export interface LatencyFigures {
  peer: 'sluice-redis' | 'kafka-streams';
  ratePerSecond: number;
  records: number;
  p50: number;
  p99: number;
  p999: number;
}

function figures(peer: LatencyFigures['peer'], rate: number, h: LatencyHistogram): LatencyFigures {
  return {
    peer,
    ratePerSecond: rate,
    records: h.count,
    p50: h.percentile(50) ?? 0,
    p99: h.percentile(99) ?? 0,
    p999: h.percentile(99.9) ?? 0,
  };
}

export async function latencyBench(
  env: BenchEnvironment,
  options: { partitions: number; ratePerSecond: number; seconds: number; kafkaStreamsSource: string },
): Promise<LatencyFigures[]> {
  const results: LatencyFigures[] = [];

  env.log(`bench latency: sluice-redis at ${options.ratePerSecond}/s for ${options.seconds}s`);
  {
    const steady = await startSteadyInput({
      bootstrapServers: env.bootstrapServers,
      partitions: options.partitions,
      ratePerSecond: options.ratePerSecond,
    });
    const input: BenchInput = {
      topic: steady.topic,
      partitions: options.partitions,
      records: 0,
      keys: steady.keys,
      perKey: () => 0,
    };
    const sluice = await startSluice(env, input, { sink: 'redis' });
    const merged = () => {
      const h = new LatencyHistogram();
      for (const buckets of sluice.cluster.registry.latencyHistograms()) h.merge(buckets);
      return h.toBuckets();
    };
    try {
      // Warm-up: the backlog written while the group formed is not latency, it is start-up.
      await sluice.cluster.waitForDistribution(60_000, input.partitions);
      await sleep(WARM_UP_MS);
      const before = merged();
      await sleep(options.seconds * 1000);
      results.push(figures('sluice-redis', options.ratePerSecond, LatencyHistogram.since(merged(), before)));
    } finally {
      await sluice.stop();
      await steady.stop();
    }
  }

  env.log(`bench latency: kafka-streams at ${options.ratePerSecond}/s for ${options.seconds}s`);
  {
    const classpath = buildKafkaStreamsPeer(env, options.kafkaStreamsSource);
    const steady = await startSteadyInput({
      bootstrapServers: env.bootstrapServers,
      partitions: options.partitions,
      ratePerSecond: options.ratePerSecond,
    });
    const appId = `sluice-bench-latency-${Date.now().toString(36)}`;
    const admin = KafkaAdmin.create({
      security: PLAINTEXT,
      bootstrapServers: env.bootstrapServers,
      clientId: 'sluice-bench-latency-admin',
    });
    await admin.ensureTopic(`${appId}-out`, options.partitions);
    const reader = await KeyedOutputReader.start({
      bootstrapServers: env.bootstrapServers,
      topic: `${appId}-out`,
      partitions: options.partitions,
      mode: 'latest',
      decode: decodeLong,
    });
    const streams = startKafkaStreams(env, classpath, {
      input: steady.topic,
      output: `${appId}-out`,
      applicationId: appId,
      threads: options.partitions,
    });
    try {
      await streams.ready;
      await sleep(WARM_UP_MS);
      const before = reader.latency.toBuckets();
      await sleep(options.seconds * 1000);
      results.push(
        figures(
          'kafka-streams',
          options.ratePerSecond,
          LatencyHistogram.since(reader.latency.toBuckets(), before),
        ),
      );
    } finally {
      await streams.stop();
      await reader.stop();
      await steady.stop();
      await admin.deleteTopic(`${appId}-out`).catch(() => {});
      admin.close();
    }
  }
  return results;
}
