// What a TaskManager tells about its work: each task's first applied batch (takeover times), the
// seed's progress lines, end-to-end latency, zombie writes refused, and the heartbeat the JobManager
// builds its registry, REST API and dashboard from.

import { readdirSync } from 'node:fs';
import type { EventLog } from '../logging/event-log.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { TaskManagerMessage, TaskManagerStatus, TaskReport } from '../protocol/messages.js';
import { NO_WATERMARK } from '../runtime/keyed/event-clock.js';
import type { Task } from '../runtime/task.js';
import type { TaskRegistry } from '../runtime/task-registry.js';
import { ProgressReporter } from './progress-reporter.js';

export class WorkReport {
  readonly #events: EventLog;
  readonly #taskManagerId: string;
  #progress: ProgressReporter | undefined;
  readonly #latency = new LatencyHistogram();
  readonly #fetchLatency = new LatencyHistogram();
  /** Tasks that applied a batch already (their first one is announced). */
  readonly #resumed = new WeakSet<Task>();
  #firstAppliedAt: number | undefined;
  #lastAppliedAt: number | undefined;
  /** Writes a sink refused because another TaskManager had claimed the task (zombie writes). */
  #fencedWrites = 0;

  constructor(events: EventLog, taskManagerId: string) {
    this.#events = events;
    this.#taskManagerId = taskManagerId;
  }

  /** The job's cadence of progress lines (known once the JobManager sent the job). */
  progressEvery(every: number): void {
    this.#progress = new ProgressReporter(this.#events, { taskManagerId: this.#taskManagerId, every });
  }

  /** A task applied a batch (`records`: its part of the poll). Its first one is also sent as `task_resumed`. */
  applied(
    task: Task,
    lastOffset: number | undefined,
    records: readonly { offset: number; timestamp: number | undefined }[],
    registry: TaskRegistry,
    send: (message: TaskManagerMessage) => void,
  ): void {
    if (lastOffset === undefined) return;
    if (!this.#resumed.has(task)) {
      this.#resumed.add(task);
      const offset = records[0]?.offset ?? lastOffset;
      send({ type: 'task_resumed', at: Date.now(), task: task.slot, offset });
      this.#events.emit({
        type: 'taskmanager.partition_resumed',
        taskManagerId: this.#taskManagerId,
        partition: task.partition,
        offset,
      });
    }
    this.#progress?.record(registry.totalConsumed(), task.topic, task.partition, lastOffset, registry.size);
    // End-to-end latency: from the record's creation (producer timestamp) to its results being written.
    const now = Date.now();
    this.#firstAppliedAt ??= now;
    this.#lastAppliedAt = now;
    recordAges(this.#latency, records, now);
  }

  /** A poll brought records (`now`: when it returned): their time from creation to here. */
  fetched(records: readonly { timestamp?: number | undefined }[], now = Date.now()): void {
    recordAges(this.#fetchLatency, records, now);
  }

  fenced(task: Task): void {
    this.#fencedWrites++;
    this.#events.emit({
      type: 'taskmanager.write_fenced',
      taskManagerId: this.#taskManagerId,
      partition: task.partition,
      epoch: task.epoch,
    });
  }

  /** On a timer: a progress line if records arrived and it has been quiet too long. */
  tick(): void {
    this.#progress?.tick();
  }

  /** What is left unreported (on shutdown). */
  flush(): void {
    this.#progress?.flush();
  }

  heartbeat(
    status: TaskManagerStatus,
    registry: TaskRegistry | undefined,
    lastCommittedCheckpoint: number,
  ): TaskManagerMessage {
    return {
      type: 'heartbeat',
      status,
      tasks: (registry?.tasks() ?? []).map((t) => taskReport(t)),
      consumed: registry?.totalConsumed() ?? 0,
      emitted: registry?.totalEmitted() ?? 0,
      taskTotals: [...(registry?.totalsBySlot() ?? [])].map(([task, t]) => ({
        task,
        consumed: t.consumed,
        emitted: t.emitted,
        deadLettered: t.failed,
      })),
      rssBytes: process.memoryUsage().rss,
      ...openFds(),
      lastCommittedCheckpoint,
      latency: this.#latency.toBuckets(),
      fetchLatency: this.#fetchLatency.toBuckets(),
      fencedWrites: this.#fencedWrites,
      deadLettered: registry?.totalFailed() ?? 0,
      ...(this.#firstAppliedAt === undefined ? {} : { firstAppliedAt: this.#firstAppliedAt }),
      ...(this.#lastAppliedAt === undefined ? {} : { lastAppliedAt: this.#lastAppliedAt }),
    };
  }
}

/**
 * Each record's age at `now` (from its creation time; records without one are skipped), one
 * histogram entry per run of equal creation times: a batch's records share theirs by the hundreds,
 * and this runs for every record a TaskManager takes.
 */
function recordAges(
  histogram: LatencyHistogram,
  records: readonly { timestamp?: number | undefined }[],
  now: number,
): void {
  let createdAt = 0;
  let run = 0;
  for (const { timestamp } of records) {
    if (timestamp === undefined || timestamp <= 0) continue;
    if (timestamp === createdAt) {
      run++;
      continue;
    }
    if (run > 0) histogram.record(now - createdAt, run);
    createdAt = timestamp;
    run = 1;
  }
  if (run > 0) histogram.record(now - createdAt, run);
}

/** This process's open file descriptors, on Linux (one readdir of /proc/self/fd per heartbeat). */
function openFds(): { openFds?: number } {
  try {
    return { openFds: readdirSync('/proc/self/fd').length };
  } catch {
    return {};
  }
}

/** A task as the JobManager sees it; time and state only for the tasks that keep them. */
function taskReport(t: Task): TaskReport {
  const blocked = t.blocked();
  const watermark = t.watermark;
  const size = t.stateSize;
  const restore = t.restoreProgress;
  return {
    task: t.slot,
    topic: t.topic,
    partition: t.partition,
    position: t.position ?? -1,
    consumed: t.consumed,
    emitted: t.emitted,
    deadLettered: t.failed,
    state: t.state,
    ...(watermark !== undefined && watermark > NO_WATERMARK && watermark < Number.MAX_SAFE_INTEGER
      ? { watermark }
      : {}),
    ...(size ? { stateEntries: size.entries, statePending: size.pending } : {}),
    ...(t.late > 0 ? { late: t.late } : {}),
    ...(restore ? { restore: { records: restore.records, ms: restore.ms, done: restore.done } } : {}),
    ...(blocked
      ? {
          blocked: {
            what: blocked.what,
            error: blocked.error.slice(0, 300),
            ms: Math.max(0, Date.now() - blocked.since),
            attempts: blocked.attempts,
          },
        }
      : {}),
  };
}
