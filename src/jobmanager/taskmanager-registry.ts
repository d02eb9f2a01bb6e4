// The JobManager's registry of TaskManagers: who registered, what each reports in its heartbeats
// (status, partitions, records applied, memory), and a timeline of every ownership change taken
// from their events. Invariant: a TaskManager id is registered by at most one live connection.

import { EventEmitter } from 'node:events';
import type { PartitionReport, TaskManagerStatus } from '../protocol/messages.js';

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
  /** Partitions it owns, per its last heartbeat, sorted. */
  readonly partitions: readonly number[];
  readonly partitionReports: readonly PartitionReport[];
  readonly consumed: number;
  /** Records per second between its last two heartbeats. */
  readonly rate: number;
  readonly rssBytes: number;
  readonly lastCommittedCheckpoint: number;
  /** Latency buckets of its last heartbeat (cumulative since the process started). */
  readonly latency: Readonly<Record<string, number>>;
  readonly fencedWrites: number;
  readonly deadLettered: number;
  readonly firstAppliedAt: number | undefined;
  readonly lastAppliedAt: number | undefined;
  readonly registeredAt: number;
  readonly lastHeartbeatAt: number | undefined;
}

export interface OwnershipChange {
  readonly at: number;
  readonly taskManagerId: string;
  readonly kind: 'assigned' | 'revoked' | 'lost';
  readonly partitions: readonly number[];
}

/** A task's first applied batch: from then on the partition progresses on that TaskManager. */
export interface PartitionResumed {
  readonly at: number;
  readonly taskManagerId: string;
  readonly partition: number;
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
    this.#entries.set(request.taskManagerId, {
      id: request.taskManagerId,
      pid: request.pid,
      host: request.host,
      address: request.address,
      clientId: request.clientId,
      status: 'STARTING',
      partitions: [],
      partitionReports: [],
      consumed: existing?.consumed ?? 0,
      rate: 0,
      rssBytes: 0,
      lastCommittedCheckpoint: 0,
      latency: {},
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
      partitions: PartitionReport[];
      consumed: number;
      rssBytes: number;
      lastCommittedCheckpoint: number;
      latency: Record<string, number>;
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
      partitions: report.partitions.map((p) => p.partition).sort((a, b) => a - b),
      partitionReports: report.partitions,
      consumed: report.consumed,
      rate:
        entry.lastHeartbeatAt !== undefined &&
        this.#now() > entry.lastHeartbeatAt &&
        report.consumed >= entry.consumed
          ? ((report.consumed - entry.consumed) * 1000) / (this.#now() - entry.lastHeartbeatAt)
          : 0,
      rssBytes: report.rssBytes,
      lastCommittedCheckpoint: report.lastCommittedCheckpoint,
      latency: report.latency,
      fencedWrites: report.fencedWrites,
      deadLettered: report.deadLettered,
      firstAppliedAt: min(entry.firstAppliedAt, report.firstAppliedAt),
      lastAppliedAt: report.lastAppliedAt ?? entry.lastAppliedAt,
      lastHeartbeatAt: this.#now(),
    });
    this.emit('change');
  }

  /** Records ownership changes from a TaskManager's events. */
  event(id: string, at: number, event: { type: string; [key: string]: unknown }): void {
    if (event.type === 'taskmanager.partition_resumed' && typeof event.partition === 'number') {
      this.#resumed.push({ at, taskManagerId: id, partition: event.partition });
      return;
    }
    const kind =
      event.type === 'taskmanager.partitions_assigned'
        ? 'assigned'
        : event.type === 'taskmanager.partitions_revoked'
          ? 'revoked'
          : event.type === 'taskmanager.partitions_lost'
            ? 'lost'
            : undefined;
    if (!kind || !Array.isArray(event.partitions)) return;
    this.#timeline.push({ at, taskManagerId: id, kind, partitions: event.partitions.map(Number) });
    this.emit('change');
  }

  disconnected(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry || isGone(entry.status)) return;
    this.#entries.set(id, {
      ...entry,
      status: 'DISCONNECTED',
      rate: 0,
      partitions: [],
      partitionReports: [],
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
      partitions: [],
      partitionReports: [],
    });
    this.emit('change');
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

  /** Partition → ids of the TaskManagers that report owning it (more than one means a hand-over in progress). */
  owners(): Map<number, string[]> {
    const owners = new Map<number, string[]>();
    for (const tm of this.connected()) {
      for (const p of tm.partitions) owners.set(p, [...(owners.get(p) ?? []), tm.id]);
    }
    return owners;
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
