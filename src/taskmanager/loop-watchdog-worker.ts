// The watchdog's thread (loop-watchdog.ts): reads the main thread's last tick; past the stall
// timeout it writes one log line straight to fd 1 and kills its own process with SIGKILL.

import { workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { LoggingConfig } from '../config/sluice-config.js';
import { EventLog } from '../logging/event-log.js';
import { createLogger } from '../logging/logger.js';

const { cells, taskManagerId, stallTimeoutMs, logging } = workerData as {
  cells: BigInt64Array;
  taskManagerId: string;
  stallTimeoutMs: number;
  logging: LoggingConfig;
};

const out = pino.destination({ dest: 1, sync: true }) as unknown as NodeJS.WritableStream;
const events = new EventLog(createLogger(logging, out).child({ taskManagerId }));

setInterval(
  () => {
    const stalledMs = Date.now() - Number(Atomics.load(cells, 0));
    if (stalledMs < stallTimeoutMs) return;
    const slot = Number(cells[1]);
    events.emit({
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
