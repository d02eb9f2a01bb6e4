// `bench restore`: how long a job with N keys of state takes to work again when its state must come
// back from the changelog — what happens when a partition moves to a worker that never had it
// (no standby replica). Sluice (keyed state in LMDB + a compacted changelog) against Kafka Streams
// (`groupByKey().count()`: RocksDB + its changelog), both exactly once:
//
// 1. a fresh input of N records, one per key, is counted: N keys of state (figure: records/s);
// 2. the job stops cleanly; its local state is deleted (Sluice: the TaskManagers' state
//    directory; Kafka Streams: a new process gets a new state directory and cleans it);
// 3. M more records, on keys that already have state, are written;
// 4. the job starts again: the figure is the time from the launch until all M results are out — a
//    result of 2 proves the key's state came back (a lost state would say 1).
//
// Running it at 1,000 keys as well as at 1,000,000 separates start-up (JVM or Node processes, group
// join) from the restore itself. The memory of the peer's processes is read from /proc while it
// restores and once it works again: what holding N keys costs (`--taskmanagers 1`: one Sluice
// process holding them all, as the one JVM does).

import { rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { PLAINTEXT } from '../connectors/kafka/client-config.js';
import { isGone } from '../jobmanager/taskmanager-registry.js';
import { type BenchInput, writeBenchRecords } from './bench-input.js';
import { measureDrain, type Summary, summarize } from './drain-meter.js';
import type { KeyedOutputReader } from './keyed-output-reader.js';
import { buildKafkaStreamsPeer, startKafkaStreams, streamsOutput } from './peers/kafka-streams-peer.js';
import type { BenchEnvironment } from './peers/peer.js';
import { startSluice } from './peers/sluice-peer.js';
import {
  mib,
  NO_MEMORY,
  type ProcessMemory,
  peakMemory,
  processMemory,
  totalMemory,
} from './process-memory.js';

export const RESTORE_PEERS = ['sluice', 'kafka-streams'] as const;
export type RestorePeer = (typeof RESTORE_PEERS)[number];

/** How long one restart may take before the bench gives up on it. */
const RESTART_TIMEOUT_MS = 600_000;

export interface RestoreRun {
  /** Records/s while the state was built (from the first result to the last). */
  loadRecordsPerSecond: number;
  /** From the launch after the state was deleted until every marker's result was out. */
  restartMs: number;
  exact: boolean;
  detail: string;
  memory: RestoreMemory;
}

/** The peer's processes' memory (process-memory.ts) during one restart. */
export interface RestoreMemory {
  /** All its processes together, once working again. */
  readonly working: ProcessMemory;
  /** All together, the largest total sampled from the launch until working again. */
  readonly peak: ProcessMemory;
  /** The largest single process once working again (a TaskManager, or the JVM). */
  readonly largest: ProcessMemory;
  readonly processes: number;
}

export interface RestoreFigures {
  peer: RestorePeer;
  keys: number;
  load: Summary;
  restartMs: Summary;
  /** Resident MiB of all the peer's processes once working again, and its anonymous part. */
  rssMiB: Summary;
  anonMiB: Summary;
  /** Resident MiB of its largest process then. */
  largestRssMiB: Summary;
  exact: boolean;
  details: string[];
  memory: RestoreMemory[];
}

/** What a peer gives the bench: its output as read, and a restart with something done while it is down. */
interface RunningPeer {
  reader: KeyedOutputReader;
  /** Stops the job cleanly, runs `between`, starts it again (returns once launched). */
  restart(between: () => Promise<void>): Promise<void>;
  /** Its processes now (the TaskManagers; the JVM). */
  pids(): number[];
  stop(): Promise<void>;
}

export async function restoreBench(
  env: BenchEnvironment,
  options: {
    keys: readonly number[];
    partitions: number;
    runs: number;
    /** Records written while the job is down, on keys that have state (at most one per key). */
    markers: number;
    peers: readonly RestorePeer[];
    kafkaStreamsSource: string;
    /** Sluice's TaskManagers (default one per partition). */
    taskManagers?: number;
  },
): Promise<RestoreFigures[]> {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: env.bootstrapServers,
    clientId: 'sluice-bench-restore-admin',
  });
  const figures: RestoreFigures[] = [];
  try {
    for (const keys of options.keys) {
      for (const peer of options.peers) {
        const runs: RestoreRun[] = [];
        for (let i = 1; i <= options.runs; i++) {
          env.log(`bench restore: ${peer}, ${keys.toLocaleString('en-US')} keys, run ${i}/${options.runs}`);
          const topic = `sluice-bench-restore-${keys}-${Date.now().toString(36)}`;
          await admin.createTopic(topic, options.partitions);
          try {
            env.log(
              `bench restore: writing ${keys.toLocaleString('en-US')} records (one per key) to ${topic}`,
            );
            await writeBenchRecords({
              bootstrapServers: env.bootstrapServers,
              topic,
              partitions: options.partitions,
              keys,
              from: 1,
              to: keys,
            });
            const input: BenchInput = {
              topic,
              records: keys,
              partitions: options.partitions,
              keys,
              perKey: () => 1,
            };
            const run = await restoreRun(env, input, Math.min(options.markers, keys), () =>
              peer === 'sluice'
                ? startSluicePeer(env, input, options.taskManagers)
                : startStreamsPeer(env, input, options.kafkaStreamsSource),
            );
            env.log(
              `bench restore: ${peer} run ${i}: state built at ${run.loadRecordsPerSecond.toLocaleString('en-US')} records/s; ` +
                `working again ${(run.restartMs / 1000).toFixed(2)} s after the restart, ${describeMemory(run.memory)}; ${run.detail}`,
            );
            runs.push(run);
          } finally {
            await admin.deleteTopic(topic).catch(() => {});
          }
        }
        figures.push({
          peer,
          keys,
          load: summarize(runs.map((r) => r.loadRecordsPerSecond)),
          restartMs: summarize(runs.map((r) => r.restartMs)),
          rssMiB: summarize(runs.map((r) => mib(r.memory.working.rssBytes))),
          anonMiB: summarize(runs.map((r) => mib(r.memory.working.anonBytes))),
          largestRssMiB: summarize(runs.map((r) => mib(r.memory.largest.rssBytes))),
          exact: runs.every((r) => r.exact),
          details: runs.map((r) => r.detail),
          memory: runs.map((r) => r.memory),
        });
      }
    }
  } finally {
    admin.close();
  }
  return figures;
}

/** One run: build the state, stop, delete local state, write the markers, start, time until they are out. */
async function restoreRun(
  env: BenchEnvironment,
  input: BenchInput,
  markers: number,
  start: () => Promise<RunningPeer>,
): Promise<RestoreRun> {
  const peer = await start();
  try {
    const { reader } = peer;
    // Every key counted once: its result is 1.
    const load = await measureDrain(
      async () => reader.counts.size,
      input.keys,
      RESTART_TIMEOUT_MS,
      env.stallMs,
    );
    const before = reader.total;
    // Markers: ids keys+1 … keys+M, keys already counted (k-1 …, k-0 last when M = keys), each on its key's partition.
    const markerKeys = Array.from({ length: markers }, (_, j) => `k-${(input.keys + j + 1) % input.keys}`);
    let launchedAt = 0;
    await peer.restart(async () => {
      await writeBenchRecords({
        bootstrapServers: env.bootstrapServers,
        topic: input.topic,
        partitions: input.partitions,
        keys: input.keys,
        from: input.keys + 1,
        to: input.keys + markers,
      });
      launchedAt = Date.now();
    });
    const deadline = launchedAt + RESTART_TIMEOUT_MS;
    let lastLog = Date.now();
    let peak = NO_MEMORY;
    let sampledAt = 0;
    for (;;) {
      const restored = markerKeys.filter((k) => reader.counts.get(k) === 2).length;
      if (restored === markers) {
        const restartMs = Date.now() - launchedAt;
        return {
          loadRecordsPerSecond: load.recordsPerSecond,
          restartMs,
          exact: true,
          detail: `all ${markers} keys written after the restart counted on top of their restored state (2)`,
          memory: memoryNow(peer.pids(), peak),
        };
      }
      // Sampled every 250 ms, not on every poll: four /proc reads are cheap, not free.
      if (Date.now() - sampledAt >= 250) {
        peak = peakMemory(peak, totalMemory(peer.pids()));
        sampledAt = Date.now();
      }
      // As many results as markers arrived, yet not all say 2: a key's state did not come back.
      if (reader.total - before >= markers) {
        await sleep(1000);
        const still = markerKeys.filter((k) => reader.counts.get(k) !== 2);
        if (still.length > 0)
          return {
            loadRecordsPerSecond: load.recordsPerSecond,
            restartMs: Date.now() - launchedAt,
            exact: false,
            memory: memoryNow(peer.pids(), peak),
            detail: `${still.length} of ${markers} keys lost their state (e.g. ${still
              .slice(0, 3)
              .map((k) => `${k} = ${reader.counts.get(k)}`)
              .join(', ')})`,
          };
      }
      if (Date.now() > deadline)
        throw new Error(
          `after the restart, ${restored} of ${markers} keys were counted within ${RESTART_TIMEOUT_MS} ms`,
        );
      if (Date.now() - lastLog > 5000) {
        env.log(
          `bench restore: ${restored}/${markers} keys counted again, ${((Date.now() - launchedAt) / 1000).toFixed(0)} s after the restart`,
        );
        lastLog = Date.now();
      }
      await sleep(20);
    }
  } finally {
    await peer.stop();
  }
}

/** The peer's memory now, with the peak sampled before. */
function memoryNow(pids: readonly number[], peak: ProcessMemory): RestoreMemory {
  const each = pids.map(processMemory).filter((m): m is ProcessMemory => m !== undefined);
  const working = totalMemory(pids);
  return {
    working,
    peak: peakMemory(peak, working),
    largest: each.reduce(peakMemory, NO_MEMORY),
    processes: each.length,
  };
}

export function describeMemory(m: RestoreMemory): string {
  return (
    `${m.processes} process(es) at ${mib(m.working.rssBytes)} MiB resident (${mib(m.working.anonBytes)} anonymous, ` +
    `${mib(m.working.fileBytes)} file-backed; largest ${mib(m.largest.rssBytes)}, peak ${mib(m.peak.rssBytes)} in all)`
  );
}

async function startSluicePeer(
  env: BenchEnvironment,
  input: BenchInput,
  taskManagers: number | undefined,
): Promise<RunningPeer> {
  // The TaskManagers' own state directory: deleting it is what a worker that never had the state sees.
  const stateDir = path.join(env.workDir, 'restore-state', `${Date.now().toString(36)}`);
  const sluice = await startSluice(env, input, {
    sink: 'kafka',
    keyedCount: true,
    env: { SLUICE_STATE_DIR: stateDir },
    ...(taskManagers === undefined ? {} : { taskManagers }),
  });
  const reader = sluice.reader;
  if (!reader) throw new Error('the keyed-count job writes to Kafka: its output reader is missing');
  return {
    reader,
    pids: () =>
      sluice.cluster.registry
        .list()
        .filter((t) => !isGone(t.status))
        .map((t) => t.pid),
    restart: (between) =>
      sluice.restart(async () => {
        rmSync(stateDir, { recursive: true, force: true });
        await between();
      }),
    stop: async () => {
      await sluice.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

async function startStreamsPeer(
  env: BenchEnvironment,
  input: BenchInput,
  source: string,
): Promise<RunningPeer> {
  const classpath = buildKafkaStreamsPeer(env, source);
  const { id, output, reader, close } = await streamsOutput(env, input, 'sluice-bench-restore-streams');
  // One stream thread per partition, as Sluice has one TaskManager per partition. Each process has
  // its own state directory (StreamsApp), cleaned at start: a new process restores from the changelog.
  const launch = () =>
    startKafkaStreams(env, classpath, {
      input: input.topic,
      output,
      applicationId: id,
      threads: input.partitions,
    });
  let streams = launch();
  return {
    reader,
    pids: () => (streams.process.pid === undefined ? [] : [streams.process.pid]),
    restart: async (between) => {
      await streams.stop();
      await between();
      streams = launch();
    },
    stop: async () => {
      await streams.stop();
      await close();
    },
  };
}
