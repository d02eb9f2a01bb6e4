// The peer comparisons: the same work done by Sluice, Kafka Streams, a plain consumer and the raw
// read limit — throughput, failover, latency — and Sluice's footprint. Figures only, side by side.

import { ensureBenchInput } from '../../bench/bench-input.js';
import { FAILOVER_PEERS, type FailoverPeer, failoverBench } from '../../bench/failover-bench.js';
import { footprintBench } from '../../bench/footprint-bench.js';
import { latencyBench } from '../../bench/latency-bench.js';
import type { PeerFigures } from '../../bench/peer-runs.js';
import { RESTORE_PEERS, restoreBench } from '../../bench/restore-bench.js';
import { THROUGHPUT_PEERS, throughputBench } from '../../bench/throughput-bench.js';
import { WINDOWED_PEERS, windowedBench } from '../../bench/windowed-bench.js';
import { renderTable } from '../table.js';
import { kafkaStreamsSource, list, machineLine, saveBenchJson, withBenchInfra } from './bench-infra.js';

export async function failover(flags: Record<string, unknown>): Promise<number> {
  const quick = flags.quick === true;
  const kills = quick ? 1 : Number(flags.kills);
  const peers = (quick ? 'sluice-consumer,kafka-streams-6s' : String(flags.peers))
    .split(',')
    .map((p) => p.trim())
    .filter((p): p is FailoverPeer => (FAILOVER_PEERS as readonly string[]).includes(p));
  return withBenchInfra(flags, async (config, env) => {
    const figures = await failoverBench(env, {
      partitions: config.job.partitions,
      kills,
      peers,
      kafkaStreamsSource: kafkaStreamsSource(),
    });
    const ms = (x: number | undefined) => (x === undefined ? '-' : x.toLocaleString('en-US'));
    const header = `bench failover: kill -9 of an ACTIVE worker, ${kills} times per peer, ${config.job.partitions} partitions, input 2,000 records/s; ${machineLine()}`;
    process.stdout.write(
      `${header}\n${renderTable(
        ['PEER', 'TAKEOVER p50 ms', 'p99 ms', 'max ms', 'MEASURED', 'NO PROGRESS'],
        figures.map((f) => [
          f.peer,
          ms(f.p50),
          ms(f.p99),
          ms(f.max),
          String(f.takeoversMs.length),
          String(f.misses),
        ]),
      )}\n`,
    );
    process.stdout.write(`saved ${saveBenchJson('failover', { header, kills, figures })}\n`);
    return figures.every((f) => f.takeoversMs.length > 0 && f.misses === 0) ? 0 : 1;
  });
}

export async function latency(flags: Record<string, unknown>): Promise<number> {
  const quick = flags.quick === true;
  const rate = quick ? 5000 : Number(flags.rate);
  const seconds = quick ? 5 : Number(flags.seconds);
  const kafkaSinkIntervals = quick ? [100] : list(flags.kafkaCheckpoints);
  const perTaskIntervals = quick ? [] : list(flags.perTaskCheckpoints);
  return withBenchInfra(flags, async (config, env) => {
    const figures = await latencyBench(env, {
      partitions: config.job.partitions,
      ratePerSecond: rate,
      seconds,
      kafkaStreamsSource: kafkaStreamsSource(),
      kafkaSinkIntervals,
      perTaskIntervals,
      redisSinkInterval: 100,
    });
    const header = `bench latency: ${rate} records/s for ${seconds} s, exactly once, produce → visible result; ${machineLine()}`;
    process.stdout.write(
      `${header}\n${renderTable(
        [
          'PEER',
          'COMMIT EVERY ms',
          'RECORDS',
          'p50 ms',
          'p99 ms',
          'p99.9 ms',
          'OF WHICH TO THE TASKMANAGER p50 / p99 / p99.9 ms',
        ],
        figures.map((f) => [
          f.peer,
          String(f.commitIntervalMs),
          String(f.records),
          f.p50.toFixed(1),
          f.p99.toFixed(1),
          f.p999.toFixed(1),
          f.toTaskManager
            ? [f.toTaskManager.p50, f.toTaskManager.p99, f.toTaskManager.p999]
                .map((v) => v.toFixed(1))
                .join(' / ')
            : '-',
        ]),
      )}\n${
        figures.some((f) => f.toTaskManager)
          ? "to the TaskManager: from a record's creation to its arrival in a TaskManager's consume loop, before any processing (producer, broker, client)\n"
          : ''
      }`,
    );
    process.stdout.write(`saved ${saveBenchJson('latency', { header, figures })}\n`);
    return figures.every((f) => f.records > 0) ? 0 : 1;
  });
}

export async function footprint(flags: Record<string, unknown>): Promise<number> {
  return withBenchInfra(flags, async (_config, env) => {
    const figures = await footprintBench(env, {
      scales: list(flags.scales),
      partitionCounts: list(flags.partitionCounts),
      records: Number(flags.records),
    });
    const avg = (xs: number[]) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);
    const header = `bench footprint: ${machineLine()}`;
    process.stdout.write(
      `${header}\nUnder ${figures.rss.rate} records/s (RSS; private memory; PSS, MiB): ` +
        `ACTIVE TaskManager ${avg(figures.rss.activeMiB)}; ${avg(figures.rss.activePrivateMiB)}; ${avg(figures.rss.activePssMiB)} (RSS ${figures.rss.activeMiB.join(', ')}), ` +
        `IDLE ${avg(figures.rss.idleMiB)}; ${avg(figures.rss.idlePrivateMiB)}; ${avg(figures.rss.idlePssMiB)} (RSS min ${Math.min(...figures.rss.idleMiB)}, max ${Math.max(...figures.rss.idleMiB)})\n` +
        `${renderTable(
          ['TASKMANAGERS', 'ALL REGISTERED ms', 'ALL PARTITIONS ASSIGNED ms'],
          figures.assignment.map((a) => [
            String(a.taskManagers),
            String(a.registeredMs),
            String(a.distributedMs),
          ]),
        )}\n${renderTable(
          ['PARTITIONS', 'RECORDS/s (4 TaskManagers, exactly once)', 'EXACT'],
          figures.partitions.map((p) => [
            String(p.partitions),
            p.recordsPerSecond.toLocaleString('en-US'),
            p.exact ? 'yes' : 'NO',
          ]),
        )}\n`,
    );
    process.stdout.write(`saved ${saveBenchJson('footprint', { header, figures })}\n`);
    return figures.partitions.every((p) => p.exact) ? 0 : 1;
  });
}

export async function throughput(flags: Record<string, unknown>): Promise<number> {
  const quick = flags.quick === true;
  const records = quick ? 50_000 : Number(flags.records);
  const runs = quick ? 1 : Number(flags.runs);
  const peers = selectPeers(flags.peers, THROUGHPUT_PEERS);
  return withBenchInfra(flags, async (config, env) => {
    const input = await ensureBenchInput({
      bootstrapServers: env.bootstrapServers,
      records,
      partitions: config.job.partitions,
      log: env.log,
    });
    const figures = await throughputBench(env, input, {
      runs,
      peers,
      kafkaStreamsSource: kafkaStreamsSource(),
    });
    const rows = peerRows(figures, 'sluice-redis');
    const header = `bench throughput: ${records} records of ~100 bytes, ${input.keys} keys, ${config.job.partitions} partitions, ${runs} run(s) per peer; ${machineLine()}`;
    process.stdout.write(
      `${header}\n${renderTable(['PEER', 'RECORDS/s (median)', 'MIN – MAX', 'SLUICE-REDIS ÷ PEER', 'EXACT'], rows)}\n`,
    );
    const file = saveBenchJson('throughput', {
      header,
      records,
      runs,
      partitions: config.job.partitions,
      keys: input.keys,
      figures,
    });
    process.stdout.write(`saved ${file}\n`);
    // Exactness is the only pass/fail here: a peer that counts wrong fails the bench (the plain
    // consumer is at-least-once, so only a crash could make it wrong in a clean run).
    return figures.every((f) => f.exact) ? 0 : 1;
  });
}

export async function windowed(flags: Record<string, unknown>): Promise<number> {
  const quick = flags.quick === true;
  const records = quick ? 50_000 : Number(flags.records);
  const runs = quick ? 1 : Number(flags.runs);
  const windowMs = Number(flags.window);
  const peers = selectPeers(flags.peers, WINDOWED_PEERS);
  return withBenchInfra(flags, async (config, env) => {
    const input = await ensureBenchInput({
      bootstrapServers: env.bootstrapServers,
      records,
      partitions: config.job.partitions,
      keys: quick ? 1000 : Number(flags.keys),
      log: env.log,
    });
    const taskManagers = Number(flags.taskmanagers ?? config.job.partitions);
    const checkpointIntervalMs = Number(flags.checkpointEvery);
    const figures = await windowedBench(env, input, {
      runs,
      windowMs,
      peers,
      kafkaStreamsSource: kafkaStreamsSource(),
      taskManagers,
      checkpointIntervalMs,
    });
    const rows = peerRows(figures, 'sluice');
    const header = `bench windowed: ${records} records of ~100 bytes, ${input.keys} keys, ${config.job.partitions} partitions, ${windowMs} ms tumbling windows of event time (the id), emit on close, exactly once, ${runs} run(s) per peer, Sluice on ${taskManagers} TaskManagers checkpointing every ${checkpointIntervalMs} ms; ${machineLine()}`;
    process.stdout.write(
      `${header}\n${renderTable(['PEER', 'INPUT RECORDS/s (median)', 'MIN – MAX', 'SLUICE ÷ PEER', 'EXACT'], rows)}\n`,
    );
    const file = saveBenchJson('windowed', { header, records, runs, windowMs, figures });
    process.stdout.write(`saved ${file}\n`);
    return figures.every((f) => f.exact) ? 0 : 1;
  });
}

export async function restore(flags: Record<string, unknown>): Promise<number> {
  const quick = flags.quick === true;
  const keys = quick ? [2000] : list(flags.keys);
  const runs = quick ? 1 : Number(flags.runs);
  const markers = Number(flags.markers);
  const peers = selectPeers(flags.peers, RESTORE_PEERS);
  return withBenchInfra(flags, async (config, env) => {
    const figures = await restoreBench(env, {
      keys,
      partitions: config.job.partitions,
      runs,
      markers,
      peers,
      kafkaStreamsSource: kafkaStreamsSource(),
      ...(flags.taskmanagers === undefined ? {} : { taskManagers: Number(flags.taskmanagers) }),
    });
    const rows = figures.map((f) => {
      const sluice = figures.find((x) => x.peer === 'sluice' && x.keys === f.keys)?.restartMs.median;
      return [
        f.peer,
        f.keys.toLocaleString('en-US'),
        f.load.median.toLocaleString('en-US'),
        (f.restartMs.median / 1000).toFixed(2),
        `${(f.restartMs.min / 1000).toFixed(2)} – ${(f.restartMs.max / 1000).toFixed(2)}`,
        sluice && f.peer !== 'sluice' ? `${(f.restartMs.median / sluice).toFixed(2)}×` : '-',
        `${f.rssMiB.median} (${f.anonMiB.median})`,
        String(f.largestRssMiB.median),
        f.exact ? 'yes' : 'NO',
      ];
    });
    const header =
      `bench restore: N keys of state (one record each, ${config.job.partitions} partitions), the job stopped, its local state deleted, ` +
      `${markers} records on known keys written, the job started again: seconds from the launch until those are counted on top of the restored state; ` +
      `exactly once, ${runs} run(s) per peer and size, Sluice on ${flags.taskmanagers ?? config.job.partitions} TaskManager(s); ${machineLine()}`;
    process.stdout.write(
      `${header}
${renderTable(['PEER', 'KEYS', 'STATE BUILT RECORDS/s', 'WORKING AGAIN (s, median)', 'MIN – MAX', 'PEER ÷ SLUICE', 'RSS MiB, ALL (ANON)', 'LARGEST PROCESS MiB', 'EXACT'], rows)}
RSS: resident memory of the peer's processes once working again (/proc, median of the runs); ANON: its anonymous part (heaps, client buffers), the rest is file pages mapped in (code, LMDB's memory-mapped store)
`,
    );
    const file = saveBenchJson('restore', { header, keys, runs, markers, figures });
    process.stdout.write(`saved ${file}\n`);
    return figures.every((f) => f.exact) ? 0 : 1;
  });
}

/** A row per peer: median, min – max, the baseline's median ÷ the peer's, exact or not. */
function peerRows<P extends string>(figures: readonly PeerFigures<P>[], baseline: P): string[][] {
  const base = figures.find((f) => f.peer === baseline)?.recordsPerSecond.median;
  return figures.map((f) => [
    f.peer,
    f.recordsPerSecond.median.toLocaleString('en-US'),
    `${f.recordsPerSecond.min.toLocaleString('en-US')} – ${f.recordsPerSecond.max.toLocaleString('en-US')}`,
    base && f.peer !== baseline ? `${(base / f.recordsPerSecond.median).toFixed(2)}×` : '-',
    f.exact ? 'yes' : 'NO',
  ]);
}

/** The peers a `--peers a,b` list names, of those the bench knows. */
function selectPeers<P extends string>(list: unknown, known: readonly P[]): P[] {
  return String(list)
    .split(',')
    .map((p) => p.trim())
    .filter((p): p is P => (known as readonly string[]).includes(p));
}
