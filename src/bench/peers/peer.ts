// What every benchmark peer gets and gives back.

import type { Drain } from '../drain-meter.js';

export interface BenchEnvironment {
  bootstrapServers: string;
  redisUrl: string;
  /** Where peers keep logs and builds (git-ignored). */
  workDir: string;
  cacheDir: string;
  /** The command that starts one Sluice TaskManager. */
  taskManagerCommand: readonly string[];
  /** Where the compiled job files of this checkout are (dist/jobs): the benchmarks run count-per-key.js. */
  jobsDir: string;
  log: (line: string) => void;
  /** A peer whose output does not move this long has stopped (SLUICE_KAFKA_WAIT_TIMEOUT, 60 s by default). */
  stallMs: number;
}

export interface PeerResult {
  peer: string;
  drain: Drain;
  /** The result was exactly right (every key counted exactly its number of records). */
  exact: boolean;
  detail: string;
}

/** Compares per-key counts with the expectation; says what differs. */
export function checkCounts(
  counts: ReadonlyMap<string, number>,
  keys: number,
  expected: (key: string) => number,
): { exact: boolean; detail: string } {
  const wrong: string[] = [];
  for (let i = 0; i < keys; i++) {
    const key = `k-${i}`;
    const got = counts.get(key) ?? 0;
    if (got !== expected(key)) wrong.push(`${key}: ${got} != ${expected(key)}`);
  }
  return wrong.length === 0
    ? { exact: true, detail: `all ${keys} keys exact` }
    : { exact: false, detail: `${wrong.length} keys wrong, e.g. ${wrong.slice(0, 3).join('; ')}` };
}
