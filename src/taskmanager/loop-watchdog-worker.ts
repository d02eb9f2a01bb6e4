// The watchdog's thread (loop-watchdog.ts): reads the main thread's last tick; past the stall
// timeout it writes one log line straight to fd 1 and kills its own process with SIGKILL. Kept to
// node: built-ins and the seed's line renderer: every import here costs each TaskManager memory.

import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import type { SluiceEvent } from '../logging/events.js';
import { renderSeedLine } from '../logging/seed-lines.js';

const { cells, taskManagerId, stallTimeoutMs, format } = workerData as {
  cells: BigInt64Array;
  taskManagerId: string;
  stallTimeoutMs: number;
  format: 'json' | 'pretty';
};

/** The record as the TaskManager's logger writes it (pino's JSON, or its pretty form's time and level). */
function write(event: Extract<SluiceEvent, { type: 'taskmanager.loop_stalled' }>): void {
  const { type, ...fields } = event;
  const msg = renderSeedLine(event);
  const now = new Date();
  const line =
    format === 'json'
      ? JSON.stringify({ level: 50, time: now.getTime(), pid: process.pid, event: type, ...fields, msg })
      : `[${now.toISOString().slice(11, 23)}] ERROR: ${msg}`;
  try {
    writeSync(1, `${line}\n`);
  } catch {
    // Nobody reads the output any more (its JobManager is gone: EPIPE), or the pipe is full (EAGAIN):
    // the kill below must happen all the same.
  }
}

setInterval(
  () => {
    const stalledMs = Date.now() - Number(Atomics.load(cells, 0));
    if (stalledMs < stallTimeoutMs) return;
    const slot = Number(cells[1]);
    write({
      type: 'taskmanager.loop_stalled',
      taskManagerId,
      stalledMs,
      ...(slot >= 0
        ? { batch: { task: slot, firstOffset: Number(cells[2]), lastOffset: Number(cells[3]) } }
        : {}),
    });
    process.kill(process.pid, 'SIGKILL');
  },
  Math.max(50, Math.min(1000, stallTimeoutMs / 4)),
);
