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
  readonly #o: LoopWatchdogOptions;
  #timer: NodeJS.Timeout | undefined;
  #worker: Worker | undefined;

  constructor(options: LoopWatchdogOptions) {
    this.#o = options;
    this.#cells[1] = -1n;
  }

  /**
   * Watches while the process owns tasks (only they run job code): a thread costs ~9 MiB of
   * resident memory, which the IDLE TaskManagers of a large group do not pay.
   */
  watch(on: boolean): void {
    if (on === (this.#worker !== undefined)) return;
    if (!on) {
      void this.stop();
      return;
    }
    this.#tick();
    // A tick four times per timeout: a stall is seen within a quarter of it.
    const every = Math.max(50, Math.min(1000, this.#o.stallTimeoutMs / 4));
    this.#timer = setInterval(() => this.#tick(), every);
    this.#timer.unref();
    this.#worker = new Worker(new URL('./loop-watchdog-worker.js', import.meta.url), {
      workerData: {
        cells: this.#cells,
        taskManagerId: this.#o.taskManagerId,
        stallTimeoutMs: this.#o.stallTimeoutMs,
        format: this.#o.logging.format,
      },
      // A small heap: it reads a clock and, once, writes a line.
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1, stackSizeMb: 1 },
      // Its line goes straight to fd 1 (the main thread, which relays a worker's stdout, is the one stuck).
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
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #tick(): void {
    Atomics.store(this.#cells, 0, BigInt(Date.now()));
  }
}
