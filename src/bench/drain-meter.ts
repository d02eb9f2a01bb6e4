// Times a peer the same way for all of them: poll its result count (every 50 ms) and measure from
// the first reading above zero to the reading that reaches N. Start-up (JVM, group join) is
// excluded for everyone; what is left is processing throughput.

import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../errors/sluice-error.js';

/** A peer whose count does not move for this long has stopped (its broker went away, it is stuck). */
export const STALL_MS = 60_000;

export interface Drain {
  records: number;
  ms: number;
  recordsPerSecond: number;
}

export async function measureDrain(
  read: () => Promise<number>,
  total: number,
  timeoutMs: number,
  stallMs = STALL_MS,
): Promise<Drain> {
  const deadline = Date.now() + timeoutMs;
  let first: { at: number; count: number } | undefined;
  let count = 0;
  let moved = { at: Date.now(), count: -1 };
  while (Date.now() < deadline) {
    try {
      count = await read();
    } catch {
      // A restarting peer: read again.
    }
    const now = Date.now();
    if (count !== moved.count) moved = { at: now, count };
    else if (now - moved.at > stallMs)
      throw new SluiceError(
        'BENCH_PEER_STALLED',
        `The peer's output stopped at ${count} of ${total} records: nothing new for ${Math.round(stallMs / 1000)} s. ` +
          'Check the broker (`npx sluice infra status`) and the peer, then run the bench again.',
        { details: { count, total } },
      );
    if (count > 0 && !first) first = { at: now, count };
    if (count >= total && first) {
      const ms = Math.max(1, now - first.at);
      const records = total - first.count;
      return { records, ms, recordsPerSecond: Math.round((records * 1000) / ms) };
    }
    await sleep(50);
  }
  throw new SluiceError(
    'BENCH_PEER_STALLED',
    `The peer reached ${count} of ${total} records within ${Math.round(timeoutMs / 1000)} s, the bench's bound. ` +
      'Check the broker (`npx sluice infra status`) and the peer, then run the bench again.',
    { details: { count, total } },
  );
}

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0, runs: [...values] };
}
