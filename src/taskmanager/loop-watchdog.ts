// Watches this TaskManager's event loop from a worker thread. A user function that never returns (an
// endless loop) stops the loop: no heartbeat reaches the JobManager, no poll reaches the consumer,
// but librdkafka's own threads keep the process a member of the group, so its partitions would not
// move until `max.poll.interval.ms` (5 minutes). Past the stall timeout the watchdog says so (the
// batch last handed to a task, so the record can be found) and kills the process: the broker moves
// its partitions, the JobManager starts it again. Flink's task cancellation watchdog does the same
// to a task that does not react to cancellation (`task.cancellation.timeout`).

import { Worker } from 'node:worker_threads';
import type { LoggingConfig } from '../config/sluice-config.js';

/** The shared cells: [last tick (epoch ms), slot of the batch the job's code last ran over, its first offset, its last]. */
const CELLS = 4;

export interface LoopWatchdogOptions {
  taskManagerId: string;
  stallTimeoutMs: number;
  logging: LoggingConfig;
}

export class LoopWatchdog {
  readonly #cells = new BigInt64Array(new SharedArrayBuffer(CELLS * 8));
  readonly #timer: NodeJS.Timeout;
  readonly #worker: Worker;

  constructor(options: LoopWatchdogOptions) {
    this.#tick();
    this.#cells[1] = -1n;
    // A tick four times per timeout: a stall is seen within a quarter of it.
    this.#timer = setInterval(() => this.#tick(), Math.max(50, Math.min(1000, options.stallTimeoutMs / 4)));
    this.#timer.unref();
    this.#worker = new Worker(new URL('./loop-watchdog-worker.js', import.meta.url), {
      workerData: { cells: this.#cells, ...options },
      // Its own output goes straight to fd 1 (the main thread, which relays a worker's stdout, is the one stuck).
      stdout: false,
    });
    this.#worker.unref();
  }

  /** The batch whose records the job's code runs over now: named if the loop stalls in it. */
  running(slot: number, firstOffset: number, lastOffset: number): void {
    this.#cells[1] = BigInt(slot);
    this.#cells[2] = BigInt(firstOffset);
    this.#cells[3] = BigInt(lastOffset);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#worker.terminate();
  }

  #tick(): void {
    Atomics.store(this.#cells, 0, BigInt(Date.now()));
  }
}
