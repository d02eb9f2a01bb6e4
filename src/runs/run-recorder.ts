// Samples the JobManager's registry while a job runs (every 500 ms by default): each TaskManager's
// status, partitions, records applied and memory, and each partition's position. Reports draw
// throughput per TaskManager over time and partition progress from these samples.

import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskManagerRegistry } from '../jobmanager/taskmanager-registry.js';

export interface TaskManagerSample {
  readonly id: string;
  readonly status: string;
  readonly partitions: readonly number[];
  readonly consumed: number;
  readonly rssBytes: number;
  readonly pid: number;
  readonly openFds: number | undefined;
  /**
   * Its cumulative latency histogram, in every 20th sample only (10 s apart): a long run keeps
   * thousands of samples, and two of these a window apart give the window's percentiles.
   */
  readonly latency?: Readonly<Record<string, number>>;
  /** When the TaskManager sent the heartbeat these figures come from. */
  readonly heartbeatAt: number | undefined;
}

export interface RunSample {
  readonly at: number;
  /** The job's result count at that moment (Redis counter or output ids). */
  readonly count: number;
  readonly taskManagers: readonly TaskManagerSample[];
  /** partition → highest position any task reported. */
  readonly positions: Readonly<Record<number, number>>;
}

/** Latency histograms are kept in one sample of this many. */
const LATENCY_EVERY = 20;

export class RunRecorder {
  readonly samples: RunSample[] = [];
  readonly #registry: TaskManagerRegistry;
  readonly #count: () => number;
  readonly #intervalMs: number;
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(registry: TaskManagerRegistry, count: () => number, intervalMs = 500) {
    this.#registry = registry;
    this.#count = count;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        this.sample();
        await sleep(this.#intervalMs);
      }
    })();
  }

  /** Stops after one more heartbeat of every TaskManager, so a short run's last figures are in. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    const asked = Date.now();
    const deadline = asked + 2500;
    while (
      Date.now() < deadline &&
      this.#registry.connected().some((t) => (t.lastHeartbeatAt ?? 0) <= asked)
    ) {
      await sleep(50);
    }
    this.sample();
  }

  sample(): void {
    const withLatency = this.samples.length % LATENCY_EVERY === 0;
    const positions: Record<number, number> = {};
    const taskManagers = this.#registry.list().map((t) => {
      for (const report of t.taskReports) {
        positions[report.task] = Math.max(positions[report.task] ?? -1, report.position);
      }
      return {
        id: t.id,
        status: t.status,
        partitions: [...t.tasks],
        consumed: t.consumed,
        rssBytes: t.rssBytes,
        pid: t.pid,
        openFds: t.openFds,
        ...(withLatency ? { latency: t.latency } : {}),
        heartbeatAt: t.lastHeartbeatAt,
      };
    });
    this.samples.push({ at: Date.now(), count: this.#count(), taskManagers, positions });
  }
}
