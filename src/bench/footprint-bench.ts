// `bench footprint`: what Sluice costs and how it grows. RSS of idle and active TaskManagers under
// load; time from the group's start to every partition assigned with 20, 50 and 100 TaskManagers;
// exactly-once throughput (Redis sink, 4 TaskManagers) with 4, 16 and 64 partitions.

import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchInput, ensureBenchInput } from './bench-input.js';
import type { BenchEnvironment } from './peers/peer.js';
import { runSluice, startSluice } from './peers/sluice-peer.js';
import { mib, processFootprint } from './process-memory.js';
import { startSteadyInput } from './steady-input.js';

export interface FootprintFigures {
  rss: {
    activeMiB: number[];
    idleMiB: number[];
    /** Private memory (no other process maps it) and PSS of the same TaskManagers, same order. */
    activePrivateMiB: number[];
    idlePrivateMiB: number[];
    activePssMiB: number[];
    idlePssMiB: number[];
    rate: number;
  };
  assignment: { taskManagers: number; registeredMs: number; distributedMs: number }[];
  partitions: { partitions: number; recordsPerSecond: number; exact: boolean }[];
}

export async function footprintBench(
  env: BenchEnvironment,
  options: { scales: number[]; partitionCounts: number[]; records: number },
): Promise<FootprintFigures> {
  // 1. RSS under load: 20 TaskManagers, 4 busy, 16 idle.
  env.log('bench footprint: RSS of 20 TaskManagers under a 20,000 records/s input');
  const steady = await startSteadyInput({
    bootstrapServers: env.bootstrapServers,
    partitions: 4,
    ratePerSecond: 20_000,
  });
  const steadyInput: BenchInput = {
    topic: steady.topic,
    partitions: 4,
    records: 0,
    keys: steady.keys,
    perKey: () => 0,
  };
  const rss: FootprintFigures['rss'] = {
    activeMiB: [],
    idleMiB: [],
    activePrivateMiB: [],
    idlePrivateMiB: [],
    activePssMiB: [],
    idlePssMiB: [],
    rate: 20_000,
  };
  {
    const sluice = await startSluice(env, steadyInput, { sink: 'redis', taskManagers: 20 });
    try {
      await sluice.cluster.waitForDistribution(120_000, 20);
      await sleep(15_000);
      for (const t of sluice.cluster.registry.connected()) {
        const active = t.status === 'ACTIVE';
        const own = processFootprint(t.pid);
        if (!own) continue; // exited between the listing and the reading
        (active ? rss.activeMiB : rss.idleMiB).push(mib(t.rssBytes));
        (active ? rss.activePrivateMiB : rss.idlePrivateMiB).push(mib(own.privateBytes));
        (active ? rss.activePssMiB : rss.idlePssMiB).push(mib(own.pssBytes));
      }
    } finally {
      await sluice.stop();
      await steady.stop();
    }
  }

  // 2. Time to full assignment as the group grows.
  const assignment: FootprintFigures['assignment'] = [];
  for (const n of options.scales) {
    env.log(`bench footprint: ${n} TaskManagers joining`);
    const idle = await startSteadyInput({
      bootstrapServers: env.bootstrapServers,
      partitions: 4,
      ratePerSecond: 100,
    });
    const input: BenchInput = {
      topic: idle.topic,
      partitions: 4,
      records: 0,
      keys: idle.keys,
      perKey: () => 0,
    };
    const launchedAt = Date.now();
    const sluice = await startSluice(env, input, {
      sink: 'redis',
      taskManagers: n,
      registrationTimeoutMs: 300_000,
    });
    const registeredMs = Date.now() - launchedAt;
    try {
      const groupStart = sluice.cluster.jobManager.jobStartedAt ?? Date.now();
      await sluice.cluster.waitForDistribution(300_000, n);
      assignment.push({ taskManagers: n, registeredMs, distributedMs: Date.now() - groupStart });
    } finally {
      await sluice.stop();
      await idle.stop();
    }
  }

  // 3. Throughput with more partitions (4 TaskManagers share them).
  const partitions: FootprintFigures['partitions'] = [];
  for (const p of options.partitionCounts) {
    env.log(`bench footprint: ${options.records} records on ${p} partitions`);
    const input = await ensureBenchInput({
      bootstrapServers: env.bootstrapServers,
      records: options.records,
      partitions: p,
      log: env.log,
    });
    const result = await runSluice(env, input, { sink: 'redis', taskManagers: 4 });
    partitions.push({ partitions: p, recordsPerSecond: result.drain.recordsPerSecond, exact: result.exact });
  }
  return { rss, assignment, partitions };
}
