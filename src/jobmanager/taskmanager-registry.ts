// The JobManager's registry of TaskManagers: who registered, what each reports in its heartbeats
// (status, partitions, records applied, memory), and a timeline of every ownership change taken
// from their events. Invariant: a TaskManager id is registered by at most one live connection.

import { EventEmitter } from 'node:events';
import type { TaskManagerStatus, TaskReport } from '../protocol/messages.js';

/** DISCONNECTED: its connection closed; STOPPED: it exited when asked; LOST: it died unexpectedly. */
export type RegistryStatus = TaskManagerStatus | 'DISCONNECTED' | 'STOPPED' | 'LOST';

export interface TaskManagerView {
  readonly id: string;
  readonly pid: number;
  /** The host name the TaskManager reported. */
  readonly host: string;
  /** The address its connection came from, as the JobManager saw it (undefined in unit tests). */
  readonly address: string | undefined;
  readonly clientId: string;
  readonly status: RegistryStatus;
  /** Tasks (slots) it owns, per its last heartbeat, sorted; with one source topic, its partitions. */
  readonly tasks: readonly number[];
  readonly taskReports: readonly TaskReport[];
  readonly consumed: number;
  /** Results its tasks handed to sinks. */
  readonly emitted: number;
  /** Per task (slot) this process ever owned, as its last heartbeat said (cumulative). */
  readonly taskTotals: readonly { task: number; consumed: number; emitted: number; deadLettered: number }[];
  /** Records per second between its last two heartbeats. */
  readonly rate: number;
  /** Records sent to the dead-letter topic per second between its last two heartbeats: the error rate. */
  readonly deadLetterRate: number;
  readonly rssBytes: number;
  /** File descriptors it holds open, as its last heartbeat said (Linux). */
  readonly openFds: number | undefined;
  readonly lastCommittedCheckpoint: number;
  /** Latency buckets of its last heartbeat (cumulative since the process started). */
  readonly latency: Readonly<Record<string, number>>;
  /** The same from creation to its consume loop (before processing), when it reports it. */
  readonly fetchLatency: Readonly<Record<string, number>>;
  readonly fencedWrites: number;
  readonly deadLettered: number;
  readonly firstAppliedAt: number | undefined;
  readonly lastAppliedAt: number | undefined;
  readonly registeredAt: number;
  readonly lastHeartbeatAt: number | undefined;
}

/** What a task did, summed over every owner it had. */
export interface TaskTotals {
  readonly consumed: number;
  readonly emitted: number;
  readonly deadLettered: number;
}

export interface OwnershipChange {
  readonly at: number;
  readonly taskManagerId: string;
  readonly kind: 'assigned' | 'revoked' | 'lost';
  /** Slots. */
  readonly tasks: readonly number[];
}

/** A task's first applied batch: from then on the partition progresses on that TaskManager. */
export interface PartitionResumed {
  readonly at: number;
  readonly taskManagerId: string;
  /** The task's slot. */
  readonly task: number;
}

export interface RegistrationRequest {
  taskManagerId: string;
  pid: number;
  host: string;
  clientId: string;
  address?: string | undefined;
}

export function isGone(status: RegistryStatus): boolean {
  return status === 'DISCONNECTED' || status === 'STOPPED' || status === 'LOST';
}

function min(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

export class TaskManagerRegistry extends EventEmitter<{ change: [] }> {
  readonly #entries = new Map<string, TaskManagerView>();
  readonly #timeline: OwnershipChange[] = [];
  readonly #resumed: PartitionResumed[] = [];
  /** Per slot: what earlier processes of a TaskManager id did (before a restart replaced them). */
  readonly #retiredTasks = new Map<number, TaskTotals>();
  /** Latency buckets of earlier processes of a TaskManager id (before a restart). */
  readonly #retiredLatency: Record<string, number>[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    super();
    this.#now = now;
  }

  /**
   * Registers a TaskManager; refuses an id that another connected TaskManager holds. The same
   * process (id, pid and host) registering again is a reconnection: its entry is kept as it is.
   */
  register(request: RegistrationRequest): { ok: true; reconnected: boolean } | { ok: false; reason: string } {
    const existing = this.#entries.get(request.taskManagerId);
    if (existing && !isGone(existing.status)) {
      if (existing.pid === request.pid && existing.host === request.host) {
        this.#entries.set(request.taskManagerId, { ...existing, address: request.address });
        return { ok: true, reconnected: true };
      }
      return {
        ok: false,
        reason: `id ${request.taskManagerId} is already registered by pid ${existing.pid} on ${existing.host}; give each TaskManager its own --id`,
      };
    }
    if (existing && Object.keys(existing.latency).length > 0)
      this.#retiredLatency.push({ ...existing.latency });
    if (existing) this.#retireTasks(existing.taskTotals);
    this.#entries.set(request.taskManagerId, {
      id: request.taskManagerId,
      pid: request.pid,
      host: request.host,
      address: request.address,
      clientId: request.clientId,
      status: 'STARTING',
      tasks: [],
      taskReports: [],
      consumed: existing?.consumed ?? 0,
      emitted: existing?.emitted ?? 0,
      taskTotals: [],
      rate: 0,
      deadLetterRate: 0,
      rssBytes: 0,
      openFds: undefined,
      lastCommittedCheckpoint: 0,
      latency: {},
      fetchLatency: {},
      fencedWrites: existing?.fencedWrites ?? 0,
      deadLettered: existing?.deadLettered ?? 0,
      firstAppliedAt: existing?.firstAppliedAt,
      lastAppliedAt: existing?.lastAppliedAt,
      registeredAt: this.#now(),
      lastHeartbeatAt: undefined,
    });
    this.emit('change');
    return { ok: true, reconnected: false };
  }

  heartbeat(
    id: string,
    report: {
      status: TaskManagerStatus;
      tasks: TaskReport[];
      consumed: number;
      emitted: number;
      taskTotals: { task: number; consumed: number; emitted: number; deadLettered: number }[];
      rssBytes: number;
      openFds?: number | undefined;
      lastCommittedCheckpoint: number;
      latency: Record<string, number>;
      fetchLatency?: Record<string, number> | undefined;
      fencedWrites: number;
      deadLettered: number;
      firstAppliedAt?: number | undefined;
      lastAppliedAt?: number | undefined;
    },
  ): void {
    const entry = this.#entries.get(id);
    if (!entry || isGone(entry.status)) return;
    this.#entries.set(id, {
      ...entry,
      status: report.status,
      tasks: report.tasks.map((t) => t.task).sort((a, b) => a - b),
      taskReports: report.tasks,
      consumed: report.consumed,
      emitted: report.emitted,
      taskTotals: report.taskTotals,
      rate:
        entry.lastHeartbeatAt !== undefined &&
        this.#now() > entry.lastHeartbeatAt &&
        report.consumed >= entry.consumed
          ? ((report.consumed - entry.consumed) * 1000) / (this.#now() - entry.lastHeartbeatAt)
          : 0,
      deadLetterRate:
        entry.lastHeartbeatAt !== undefined &&
        this.#now() > entry.lastHeartbeatAt &&
        report.deadLettered >= entry.deadLettered
          ? ((report.deadLettered - entry.deadLettered) * 1000) / (this.#now() - entry.lastHeartbeatAt)
          : 0,
      rssBytes: report.rssBytes,
      openFds: report.openFds,
      lastCommittedCheckpoint: report.lastCommittedCheckpoint,
      latency: report.latency,
      fetchLatency: report.fetchLatency ?? {},
      fencedWrites: report.fencedWrites,
      deadLettered: report.deadLettered,
      firstAppliedAt: min(entry.firstAppliedAt, report.firstAppliedAt),
      lastAppliedAt: report.lastAppliedAt ?? entry.lastAppliedAt,
      lastHeartbeatAt: this.#now(),
    });
    this.emit('change');
  }

  /** An ownership change a TaskManager reported (typed message, not a log line). */
  ownership(id: string, at: number, kind: OwnershipChange['kind'], tasks: readonly number[]): void {
    this.#timeline.push({ at, taskManagerId: id, kind, tasks: [...tasks].sort((a, b) => a - b) });
    this.emit('change');
  }

  /** A task's first applied batch on this TaskManager. */
  resumedAt(id: string, at: number, task: number): void {
    this.#resumed.push({ at, taskManagerId: id, task });
  }

  disconnected(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry || isGone(entry.status)) return;
    this.#entries.set(id, {
      ...entry,
      status: 'DISCONNECTED',
      rate: 0,
      deadLetterRate: 0,
      tasks: [],
      taskReports: [],
    });
    this.emit('change');
  }

  /** Its process exited: STOPPED when it was asked to, LOST when it died (kill -9, crash). */
  exited(id: string, pid: number, expected: boolean): void {
    const entry = this.#entries.get(id);
    if (!entry || entry.pid !== pid) return;
    this.#entries.set(id, {
      ...entry,
      status: expected ? 'STOPPED' : 'LOST',
      rate: 0,
      deadLetterRate: 0,
      tasks: [],
      taskReports: [],
    });
    this.emit('change');
  }

  #retireTasks(reports: TaskManagerView['taskTotals']): void {
    for (const r of reports) {
      const before = this.#retiredTasks.get(r.task) ?? { consumed: 0, emitted: 0, deadLettered: 0 };
      this.#retiredTasks.set(r.task, {
        consumed: before.consumed + r.consumed,
        emitted: before.emitted + r.emitted,
        deadLettered: before.deadLettered + r.deadLettered,
      });
    }
  }

  /** Per slot: records in, results out and dead letters, over every process that owned the task. */
  taskTotals(): Map<number, TaskTotals> {
    const totals = new Map(this.#retiredTasks);
    for (const tm of this.#entries.values()) {
      for (const r of tm.taskTotals) {
        const before = totals.get(r.task) ?? { consumed: 0, emitted: 0, deadLettered: 0 };
        totals.set(r.task, {
          consumed: before.consumed + r.consumed,
          emitted: before.emitted + r.emitted,
          deadLettered: before.deadLettered + r.deadLettered,
        });
      }
    }
    return totals;
  }

  get(id: string): TaskManagerView | undefined {
    return this.#entries.get(id);
  }

  list(): TaskManagerView[] {
    return [...this.#entries.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }

  connected(): TaskManagerView[] {
    return this.list().filter((t) => !isGone(t.status));
  }

  /** Slot → ids of the TaskManagers that report owning it (more than one means a hand-over in progress). */
  owners(): Map<number, string[]> {
    const owners = new Map<number, string[]>();
    for (const tm of this.connected()) {
      for (const slot of tm.tasks) owners.set(slot, [...(owners.get(slot) ?? []), tm.id]);
    }
    return owners;
  }

  /** The connected TaskManagers' fetch-latency histograms (creation → their consume loop). */
  fetchLatencyHistograms(): Record<string, number>[] {
    return this.list().map((t) => ({ ...t.fetchLatency }));
  }

  /** Every latency histogram ever reported: the live ones and those of restarted processes. */
  latencyHistograms(): Record<string, number>[] {
    return [...this.#retiredLatency, ...this.list().map((t) => ({ ...t.latency }))];
  }

  resumed(since = 0): PartitionResumed[] {
    return this.#resumed.filter((r) => r.at >= since);
  }

  timeline(since = 0): OwnershipChange[] {
    return this.#timeline.filter((c) => c.at >= since);
  }
}
