// Runs each peer of a benchmark several times and sums it up: the median, min and max rate, and
// whether every run's result was exact (speed is printed, exactness decides the exit code).

import { type Summary, summarize } from './drain-meter.js';
import type { BenchEnvironment, PeerResult } from './peers/peer.js';

export interface PeerFigures<P extends string> {
  peer: P;
  recordsPerSecond: Summary;
  exact: boolean;
  details: string[];
}

export async function runPeers<P extends string>(
  env: BenchEnvironment,
  bench: string,
  peers: readonly P[],
  runs: number,
  run: (peer: P) => Promise<PeerResult>,
): Promise<PeerFigures<P>[]> {
  const figures: PeerFigures<P>[] = [];
  for (const peer of peers) {
    const results: PeerResult[] = [];
    for (let i = 1; i <= runs; i++) {
      env.log(`bench ${bench}: ${peer} run ${i}/${runs}`);
      const result = await run(peer);
      env.log(
        `bench ${bench}: ${peer} run ${i}: ${result.drain.recordsPerSecond.toLocaleString('en-US')} records/s, ${result.detail}`,
      );
      results.push(result);
    }
    figures.push({
      peer,
      recordsPerSecond: summarize(results.map((r) => r.drain.recordsPerSecond)),
      exact: results.every((r) => r.exact),
      details: results.map((r) => r.detail),
    });
  }
  return figures;
}
