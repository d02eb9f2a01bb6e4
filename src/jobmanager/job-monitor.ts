// Watches the job's result where it lands (the Redis counter) until it reaches N, and says so in
// the seed's JOB MONITOR lines. It only reads the counter: the job writes it by counting messages,
// nothing else ever sets it.

import { setTimeout as sleep } from 'node:timers/promises';
import type { EventLog } from '../logging/event-log.js';

export interface MonitorOptions {
  /** Reads the job's result count where it lands (the Redis counter, or ids seen in the output topic). */
  read: () => Promise<number>;
  /** What is read, for the JOB MONITOR line: a Redis key, or an output topic. */
  source: { kind: 'redis' | 'kafka'; name: string };
  total: number;
  events: EventLog;
  timeoutMs: number;
  /** Time between two JOB MONITOR lines. */
  lineEveryMs?: number;
  pollMs?: number;
  /** Each reading of the counter (drives a progress bar). */
  onCount?: (count: number) => void;
  /** A reason to give up early (e.g. every TaskManager is gone), checked at each poll. */
  abortReason?: () => string | undefined;
}

export interface MonitorResult {
  count: number;
  elapsedMs: number;
  completed: boolean;
  reason?: string;
  /** When the first result was counted, and when the N-th was (epoch ms). */
  firstCountAt?: number;
  completedAt?: number;
}

export async function monitorJob(options: MonitorOptions): Promise<MonitorResult> {
  const { read, source, total, events } = options;
  const started = Date.now();
  const lineEvery = options.lineEveryMs ?? 2000;
  let nextLine = started + lineEvery;
  let count = 0;
  let firstCountAt: number | undefined;
  for (;;) {
    try {
      count = await read();
    } catch {
      // Redis is restarting (the reliability test does that): keep the last reading, ask again.
    }
    const now = Date.now();
    const elapsedMs = now - started;
    if (count > 0) firstCountAt ??= now;
    options.onCount?.(count);
    if (now >= nextLine || count >= total) {
      events.emit({
        type: 'job.monitor',
        elapsedSeconds: elapsedMs / 1000,
        key: source.name,
        source: source.kind,
        count,
        total,
      });
      nextLine = now + lineEvery;
    }
    if (count >= total)
      return {
        count,
        elapsedMs,
        completed: true,
        completedAt: now,
        ...(firstCountAt ? { firstCountAt } : {}),
      };
    const reason = options.abortReason?.();
    if (reason) return { count, elapsedMs, completed: false, reason };
    if (elapsedMs > options.timeoutMs) {
      return {
        count,
        elapsedMs,
        completed: false,
        reason: `timed out after ${Math.round(elapsedMs / 1000)}s`,
      };
    }
    await sleep(options.pollMs ?? 100);
  }
}
