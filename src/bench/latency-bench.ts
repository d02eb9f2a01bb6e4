// `bench latency`: a fixed input rate, and the time from a record's production to its result being
// visible, exactly once: Sluice into Redis (its TaskManagers measure after the Lua commit), Sluice
// into a Kafka topic at several checkpoint intervals, and Kafka Streams (both visible to a
// read_committed reader of the output; each output record carries its newest input's timestamp).
// p50, p99, p99.9 over the measured span, after a warm-up.

import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { PLAINTEXT } from '../connectors/kafka/client-config.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { BenchInput } from './bench-input.js';
import { decodeLong, KeyedOutputReader } from './keyed-output-reader.js';
import { buildKafkaStreamsPeer, startKafkaStreams } from './peers/kafka-streams-peer.js';
import type { BenchEnvironment } from './peers/peer.js';
import { startSluice } from './peers/sluice-peer.js';
import { type SteadyInput, startSteadyInput } from './steady-input.js';

/** Measured after this long past start: what start-up left queued has drained by then. */
const WARM_UP_MS = 10_000;

export interface LatencyFigures {
  /** sluice-redis, sluice-kafka-<interval>ms, kafka-streams. */
  peer: string;
  /** Sluice's checkpoint interval (Kafka Streams: its commit interval), ms. */
  commitIntervalMs: number;
  ratePerSecond: number;
  records: number;
  p50: number;
  p99: number;
  p999: number;
  /**
   * Sluice: the part of the same span from a record's creation to its TaskManager's consume loop
   * (producer, broker and client, before any processing): p50, p99, p99.9.
   */
  toTaskManager?: { p50: number; p99: number; p999: number };
}

export interface LatencyOptions {
  partitions: number;
  ratePerSecond: number;
  seconds: number;
  kafkaStreamsSource: string;
  /** One Sluice Kafka-sink peer per interval (ms). */
  kafkaSinkIntervals: readonly number[];
  /** Likewise, with per-task commits (each task commits its transaction at the barrier). */
  perTaskIntervals: readonly number[];
  /** The Redis sink's checkpoint interval (ms): it only moves offsets, results are visible per batch. */
  redisSinkInterval: number;
}

/** Kafka Streams' commit interval under exactly_once_v2 (its default). */
const STREAMS_COMMIT_MS = 100;

export async function latencyBench(
  env: BenchEnvironment,
  options: LatencyOptions,
): Promise<LatencyFigures[]> {
  const results: LatencyFigures[] = [];
  const measure = async (
    peer: string,
    commitIntervalMs: number,
    run: (
      steady: SteadyInput,
      input: BenchInput,
    ) => Promise<{
      ready: Promise<unknown>;
      histogram: () => LatencyHistogram;
      /** Sluice: creation → the TaskManagers' consume loops. */
      fetchHistogram?: () => LatencyHistogram;
      stop: () => Promise<void>;
    }>,
  ) => {
    env.log(`bench latency: ${peer} at ${options.ratePerSecond}/s for ${options.seconds}s`);
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
    try {
      const started = await run(steady, input);
      try {
        // Warm-up: the backlog written while the group formed is not latency, it is start-up.
        await started.ready;
        await sleep(WARM_UP_MS);
        const before = started.histogram().toBuckets();
        const fetchedBefore = started.fetchHistogram?.().toBuckets();
        await sleep(options.seconds * 1000);
        const h = LatencyHistogram.since(started.histogram().toBuckets(), before);
        const fetched =
          started.fetchHistogram && fetchedBefore
            ? LatencyHistogram.since(started.fetchHistogram().toBuckets(), fetchedBefore)
            : undefined;
        results.push({
          peer,
          commitIntervalMs,
          ratePerSecond: options.ratePerSecond,
          records: h.count,
          p50: h.percentile(50) ?? 0,
          p99: h.percentile(99) ?? 0,
          p999: h.percentile(99.9) ?? 0,
          ...(fetched && fetched.count > 0
            ? {
                toTaskManager: {
                  p50: fetched.percentile(50) ?? 0,
                  p99: fetched.percentile(99) ?? 0,
                  p999: fetched.percentile(99.9) ?? 0,
                },
              }
            : {}),
        });
      } finally {
        await started.stop();
      }
    } finally {
      await steady.stop();
    }
  };

  await measure('sluice-redis', options.redisSinkInterval, async (_steady, input) => {
    const sluice = await startSluice(env, input, {
      sink: 'redis',
      checkpointIntervalMs: options.redisSinkInterval,
    });
    return {
      ready: sluice.cluster.waitForDistribution(60_000, input.partitions),
      histogram: () => merged(sluice.cluster.registry.latencyHistograms()),
      fetchHistogram: () => merged(sluice.cluster.registry.fetchLatencyHistograms()),
      stop: () => sluice.stop(),
    };
  });

  const kafkaPeers = [
    ...options.kafkaSinkIntervals.map((interval) => ({ interval, commit: 'aligned' as const })),
    ...options.perTaskIntervals.map((interval) => ({ interval, commit: 'per-task' as const })),
  ];
  for (const { interval, commit } of kafkaPeers) {
    const peer = commit === 'aligned' ? `sluice-kafka-${interval}ms` : `sluice-kafka-per-task-${interval}ms`;
    await measure(peer, interval, async (_steady, input) => {
      const sluice = await startSluice(env, input, {
        sink: 'kafka',
        checkpointIntervalMs: interval,
        checkpointCommit: commit,
      });
      const reader = sluice.reader;
      if (!reader) throw new Error('the Kafka-sink peer has no output reader');
      return {
        ready: sluice.cluster.waitForDistribution(60_000, input.partitions),
        histogram: () => reader.latency,
        fetchHistogram: () => merged(sluice.cluster.registry.fetchLatencyHistograms()),
        stop: () => sluice.stop(),
      };
    });
  }

  const classpath = buildKafkaStreamsPeer(env, options.kafkaStreamsSource);
  await measure('kafka-streams', STREAMS_COMMIT_MS, async (steady) => {
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
    return {
      ready: streams.ready,
      histogram: () => reader.latency,
      stop: async () => {
        await streams.stop();
        await reader.stop();
        await admin.deleteTopic(`${appId}-out`).catch(() => {});
        admin.close();
      },
    };
  });
  return results;
}

function merged(histograms: readonly Record<string, number>[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const buckets of histograms) h.merge(buckets);
  return h;
}
