// `bench failover`: kill -9 an ACTIVE worker, time until its partition progresses again elsewhere,
// many times, for Sluice (KIP-848 and classic cooperative-sticky) and Kafka Streams (its defaults,
// and with Sluice's classic session timeout). Progress is read where each keeps its truth: Sluice's
// applied positions in Redis, Kafka Streams' committed offsets (exactly-once commits every 100 ms).

import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { PLAINTEXT } from '../connectors/kafka/client-config.js';
import { GroupDescriber } from '../connectors/kafka/group-describer.js';
import { percentile } from '../runs/run-analysis.js';
import type { BenchInput } from './bench-input.js';
import { buildKafkaStreamsPeer, type RunningStreams, startKafkaStreams } from './peers/kafka-streams-peer.js';
import type { BenchEnvironment } from './peers/peer.js';
import { startSluice } from './peers/sluice-peer.js';
import { startSteadyInput } from './steady-input.js';

export const FAILOVER_PEERS = [
  'sluice-consumer',
  'sluice-classic',
  'kafka-streams-defaults',
  'kafka-streams-6s',
] as const;
export type FailoverPeer = (typeof FAILOVER_PEERS)[number];

export interface FailoverFigures {
  peer: FailoverPeer;
  takeoversMs: number[];
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
  misses: number;
}

interface Target {
  /** Workers owning a partition now: id → partitions. */
  owners: () => Promise<Map<string, number[]>>;
  kill: (worker: string) => Promise<void>;
  /** A number that grows while the partition makes progress. */
  progress: (partition: number) => Promise<number>;
  /** After a kill: bring the worker pool back (restart) and wait until all partitions move again. */
  settle: () => Promise<void>;
  stop: () => Promise<void>;
}

async function measureTakeovers(
  target: Target,
  kills: number,
  env: BenchEnvironment,
  name: string,
  partitions: number,
): Promise<FailoverFigures> {
  const takeovers: number[] = [];
  let misses = 0;
  await waitAllProgress(target, partitions, 60_000);
  for (let k = 1; k <= kills; k++) {
    const owners = await target.owners();
    const active = [...owners].filter(([, ps]) => ps.length > 0);
    const [victim, victimPartitions] = active[k % Math.max(1, active.length)] ?? [];
    if (!victim || !victimPartitions) {
      misses++;
      continue;
    }
    const partition = victimPartitions[0] as number;
    await target.kill(victim);
    const t0 = Date.now();
    const base = await target.progress(partition);
    let took: number | undefined;
    while (Date.now() - t0 < 120_000) {
      if ((await target.progress(partition)) > base) {
        took = Date.now() - t0;
        break;
      }
      await sleep(50);
    }
    if (took === undefined) misses++;
    else takeovers.push(took);
    env.log(
      `bench failover: ${name} kill ${k}/${kills} of ${victim} (partition ${partition}): ${took === undefined ? 'no progress within 120 s' : `${took} ms`}`,
    );
    await target.settle();
  }
  await target.stop();
  return {
    peer: name as FailoverPeer,
    takeoversMs: takeovers,
    p50: percentile(takeovers, 50),
    p99: percentile(takeovers, 99),
    max: takeovers.length ? Math.max(...takeovers) : undefined,
    misses,
  };
}

async function waitAllProgress(target: Target, partitions: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const base = await Promise.all(Array.from({ length: partitions }, (_, p) => target.progress(p)));
  const moved = new Set<number>();
  while (moved.size < partitions && Date.now() < deadline) {
    for (let p = 0; p < partitions; p++) if ((await target.progress(p)) > (base[p] ?? 0)) moved.add(p);
    await sleep(100);
  }
}

async function sluiceTarget(
  env: BenchEnvironment,
  input: BenchInput,
  protocol: 'consumer' | 'classic',
): Promise<Target> {
  // Two spare TaskManagers, and killed ones started again: the pool stays as it was.
  const sluice = await startSluice(env, input, {
    sink: 'redis',
    groupProtocol: protocol,
    taskManagers: input.partitions + 2,
    restart: true,
  });
  return {
    owners: async () => new Map(sluice.cluster.registry.connected().map((t) => [t.id, [...t.tasks]])),
    kill: async (id) => {
      sluice.cluster.kill(id, 'SIGKILL');
    },
    progress: (p) => sluice.position(p),
    settle: async () => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && sluice.cluster.registry.connected().length < input.partitions + 2)
        await sleep(100);
      await sluice.cluster.waitForDistribution(60_000, input.partitions + 2).catch(() => {});
    },
    stop: () => sluice.stop(),
  };
}

async function streamsTarget(
  env: BenchEnvironment,
  input: BenchInput,
  source: string,
  overrides: Record<string, string | number>,
): Promise<Target> {
  const classpath = buildKafkaStreamsPeer(env, source);
  const appId = `sluice-bench-failover-${Date.now().toString(36)}`;
  const output = `${appId}-out`;
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: env.bootstrapServers,
    clientId: 'sluice-bench-failover-admin',
  });
  await admin.ensureTopic(output, input.partitions);
  const describer = new GroupDescriber({
    security: PLAINTEXT,
    bootstrapServers: env.bootstrapServers,
    clientId: 'sluice-bench-failover',
  });
  const instances = new Map<string, RunningStreams>();
  const launch = (name: string) =>
    instances.set(
      name,
      startKafkaStreams(env, classpath, {
        input: input.topic,
        output,
        applicationId: appId,
        threads: 1,
        overrides: { ...overrides, 'client.id': name },
      }),
    );
  // One stream thread per JVM, one JVM per partition plus one spare: each worker owns at most one task.
  const names = Array.from({ length: input.partitions + 1 }, (_, i) => `streams-${i + 1}`);
  for (const name of names) launch(name);
  const stopAll = async () => {
    await Promise.all([...instances.values()].map((i) => i.stop()));
    describer.close();
    await admin.deleteTopic(output).catch(() => {});
    admin.close();
  };
  try {
    await Promise.all([...instances.values()].map((i) => i.ready));
  } catch (error) {
    // One JVM failed to start: the others (and the describer's child process) would keep this
    // process alive forever if left running.
    await stopAll();
    throw error;
  }
  return {
    owners: async () => {
      const group = await describer.describe(appId);
      const owners = new Map<string, number[]>();
      for (const m of group.members) {
        const name = names.find((n) => m.clientId.startsWith(`${n}-`));
        if (name)
          owners.set(
            name,
            m.partitions.filter((p) => p.topic === input.topic).map((p) => p.partition),
          );
      }
      return owners;
    },
    kill: async (name) => {
      instances.get(name)?.process.kill('SIGKILL');
      launch(name);
    },
    progress: async (p) => (await admin.committedOffsets(appId, input.topic, input.partitions)).get(p) ?? 0,
    settle: async () => {
      await Promise.all([...instances.values()].map((i) => i.ready.catch(() => {})));
      await sleep(2000);
    },
    stop: stopAll,
  };
}

export async function failoverBench(
  env: BenchEnvironment,
  options: {
    partitions: number;
    kills: number;
    peers: readonly FailoverPeer[];
    kafkaStreamsSource: string;
    ratePerSecond?: number;
  },
): Promise<FailoverFigures[]> {
  const figures: FailoverFigures[] = [];
  for (const peer of options.peers) {
    const steady = await startSteadyInput({
      bootstrapServers: env.bootstrapServers,
      partitions: options.partitions,
      ratePerSecond: options.ratePerSecond ?? 2000,
    });
    const input: BenchInput = {
      topic: steady.topic,
      partitions: options.partitions,
      records: 0,
      keys: steady.keys,
      perKey: () => 0,
    };
    try {
      const target =
        peer === 'sluice-consumer'
          ? await sluiceTarget(env, input, 'consumer')
          : peer === 'sluice-classic'
            ? await sluiceTarget(env, input, 'classic')
            : await streamsTarget(
                env,
                input,
                options.kafkaStreamsSource,
                peer === 'kafka-streams-6s'
                  ? { 'consumer.session.timeout.ms': 6000, 'consumer.heartbeat.interval.ms': 1000 }
                  : {},
              );
      figures.push(await measureTakeovers(target, options.kills, env, peer, options.partitions));
    } finally {
      await steady.stop();
    }
  }
  return figures;
}
