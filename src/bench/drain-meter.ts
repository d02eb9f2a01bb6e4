// Times a peer the same way for all of them: poll its result count (every 50 ms) and measure from
// the first reading above zero to the reading that reaches N. Start-up (JVM, group join) is
// excluded for everyone; what is left is processing throughput.

import { setTimeout as sleep } from 'node:timers/promises';

export interface Drain {
  records: number;
  ms: number;
  recordsPerSecond: number;
}

export async function measureDrain(
  read: () => Promise<number>,
  total: number,
  timeoutMs: number,
): Promise<Drain> {
  const deadline = Date.now() + timeoutMs;
  let first: { at: number; count: number } | undefined;
  let count = 0;
  while (Date.now() < deadline) {
    try {
      count = await read();
    } catch {
      // A restarting peer: read again.
    }
    const now = Date.now();
    if (count > 0 && !first) first = { at: now, count };
    if (count >= total && first) {
      const ms = Math.max(1, now - first.at);
      const records = total - first.count;
      return { records, ms, recordsPerSecond: Math.round((records * 1000) / ms) };
    }
    await sleep(50);
  }
  throw new Error(`the peer reached ${count} of ${total} records within ${timeoutMs} ms`);
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
