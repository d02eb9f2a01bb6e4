// `bench windowed`: the same input as `bench throughput` (N keyed JSON records on 4 partitions, each
// key on one partition), counted per key in tumbling windows of event time (the record's id in ms),
// one final result per window, exactly once — by Sluice (keyed state in LMDB and a changelog) and by
// Kafka Streams (RocksDB and a changelog, EmitStrategy.onWindowClose). Neither closes the windows
// at the end of a partition without more input (stream time), so both are timed until every window
// that ends a full window before its partition's last record is out, and each result is checked
// against an offline count.

import { type BenchInput, keyOf } from './bench-input.js';
import { measureDrain } from './drain-meter.js';
import type { KeyedOutputReader } from './keyed-output-reader.js';
import { type PeerFigures, runPeers } from './peer-runs.js';
import { runKafkaStreams } from './peers/kafka-streams-peer.js';
import type { BenchEnvironment, PeerResult } from './peers/peer.js';
import { startSluice } from './peers/sluice-peer.js';

export const WINDOWED_PEERS = ['sluice', 'kafka-streams'] as const;
export type WindowedPeer = (typeof WINDOWED_PEERS)[number];

export type WindowedFigures = PeerFigures<WindowedPeer>;

/** The windows, offline: `<key>@<start>` → count, and those both peers must have closed. */
export function expectedWindows(
  input: BenchInput,
  windowMs: number,
): { all: Map<string, number>; closed: Set<string> } {
  const all = new Map<string, number>();
  const lastOf = new Map<number, number>();
  for (let id = 1; id <= input.records; id++) {
    const key = keyOf(id, input.keys);
    const start = Math.floor(id / windowMs) * windowMs;
    const window = `${key}@${start}`;
    all.set(window, (all.get(window) ?? 0) + 1);
    // The bench input puts key k-i on partition i mod partitions; its stream time ends at its last id.
    lastOf.set((id % input.keys) % input.partitions, id);
  }
  const closed = new Set<string>();
  for (const window of all.keys()) {
    const [key, start] = window.split('@') as [string, string];
    const partition = Number(key.slice(2)) % input.partitions;
    if (Number(start) + 2 * windowMs <= (lastOf.get(partition) ?? 0)) closed.add(window);
  }
  return { all, closed };
}

/** Every window read has its offline count, and every window that must have closed was read. */
export function checkWindows(
  counts: ReadonlyMap<string, number>,
  expected: { all: Map<string, number>; closed: Set<string> },
): { exact: boolean; detail: string } {
  const wrong: string[] = [];
  for (const [window, n] of counts)
    if (expected.all.get(window) !== n) wrong.push(`${window}: ${n} != ${expected.all.get(window) ?? 0}`);
  const missing = [...expected.closed].filter((w) => !counts.has(w));
  if (wrong.length === 0 && missing.length === 0)
    return {
      exact: true,
      detail: `${counts.size} windows, all exact (${expected.closed.size} had to close)`,
    };
  return {
    exact: false,
    detail: `${wrong.length} windows wrong (e.g. ${wrong.slice(0, 3).join('; ')}), ${missing.length} missing (e.g. ${missing.slice(0, 3).join(', ')})`,
  };
}

export async function windowedBench(
  env: BenchEnvironment,
  input: BenchInput,
  options: {
    runs: number;
    windowMs: number;
    peers: readonly WindowedPeer[];
    kafkaStreamsSource: string;
    /** Sluice's TaskManagers (default: one per partition, as Kafka Streams has a thread per partition). */
    taskManagers?: number;
    /** Sluice's checkpoint interval (default 100 ms: Kafka Streams commits every 100 ms under exactly-once). */
    checkpointIntervalMs?: number;
  },
): Promise<WindowedFigures[]> {
  const expected = expectedWindows(input, options.windowMs);
  // Progress: the records counted in the windows that had to close (their results read so far);
  // done once all of them are out. Windows after those count nowhere, so both peers are timed alike.
  // Polled every 50 ms: the reader's running total (cheap) until it could be done, then the sum over
  // the windows that had to close (a pass over all of them).
  const closed = [...expected.closed];
  const target = closed.reduce((n, w) => n + (expected.all.get(w) ?? 0), 0);
  const progress = (reader: KeyedOutputReader) =>
    reader.total < target ? reader.total : closed.reduce((n, w) => n + (reader.counts.get(w) ?? 0), 0);
  const check = (counts: ReadonlyMap<string, number>) => checkWindows(counts, expected);
  const run: Record<WindowedPeer, () => Promise<PeerResult>> = {
    sluice: async () => {
      const sluice = await startSluice(env, input, {
        sink: 'kafka',
        windowMs: options.windowMs,
        ...(options.taskManagers ? { taskManagers: options.taskManagers } : {}),
        ...(options.checkpointIntervalMs ? { checkpointIntervalMs: options.checkpointIntervalMs } : {}),
      });
      try {
        const reader = sluice.reader;
        if (!reader) throw new Error('the windowed job writes to Kafka: its output reader is missing');
        const drain = await measureDrain(async () => progress(reader), target, 600_000, env.stallMs);
        return { peer: 'sluice', drain, ...check(reader.counts) };
      } finally {
        await sluice.stop();
      }
    },
    'kafka-streams': () =>
      runKafkaStreams(env, input, options.kafkaStreamsSource, {
        windowMs: options.windowMs,
        records: target,
        progress,
        check,
      }),
  };
  return runPeers(env, 'windowed', options.peers, options.runs, (peer) => run[peer]());
}
