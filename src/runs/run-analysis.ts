// Turns what a run recorded (samples, the registry's ownership timeline and resumed partitions,
// the faults) into the figures reports show: takeover time per fault, who owned which partition
// when, throughput per TaskManager over time, and records per partition.

import type { OwnershipChange, PartitionResumed } from '../jobmanager/taskmanager-registry.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { FaultRecord } from './fault-injector.js';
import type { RunSample, TaskManagerSample } from './run-recorder.js';

export interface PartitionTakeover {
  partition: number;
  /** Milliseconds from the fault until the partition progressed again; undefined: never seen. */
  ms: number | undefined;
  /** Who made it progress again. */
  by: string | undefined;
}

export interface FaultTakeover extends FaultRecord {
  partitions: PartitionTakeover[];
  /** The slowest partition: the fault's takeover time. */
  takeoverMs: number | undefined;
  /** Ownership changes the fault caused (revoked by a stopped TaskManager, lost by a zombie). */
  handovers: { taskManagerId: string; kind: OwnershipChange['kind']; partitions: readonly number[] }[];
}

/**
 * How long after waking a zombie may take to say it lost its partitions: a stateful task's
 * transaction, fenced meanwhile, holds the hand-over back for up to the checkpoint timeout (10 s)
 * first. Seen in the windowed reliability run at 10 s after the wake.
 */
export const ZOMBIE_NOTICE_MS = 30_000;

export function measureTakeovers(
  faults: readonly FaultRecord[],
  resumed: readonly PartitionResumed[],
  timeline: readonly OwnershipChange[],
  samples: readonly RunSample[],
): FaultTakeover[] {
  return faults.map((fault, i) => {
    const next = faults[i + 1]?.at ?? Number.POSITIVE_INFINITY;
    const partitions = fault.affected.map((partition): PartitionTakeover => {
      if (fault.target !== undefined) {
        // Ownership faults: the first task that applied a batch of it after the fault. A killed or
        // stopped TaskManager cannot resume (a restarted one, same id, is a new process and counts);
        // a zombie counts only once woken up and given the partition again (a new task of its).
        const hit = resumed.find(
          (r) =>
            r.at >= fault.at &&
            r.task === partition &&
            (fault.kind !== 'zombie' ||
              r.taskManagerId !== fault.target ||
              r.at >= fault.at + fault.durationMs),
        );
        return { partition, ms: hit ? hit.at - fault.at : undefined, by: hit?.taskManagerId };
      }
      // Broker or Redis restart: the first sample showing the partition's position moving again.
      const before = positionAt(samples, fault.at, partition);
      const after = samples.find(
        (s) => s.at > fault.at + fault.durationMs && (s.positions[partition] ?? -1) > before,
      );
      const owner = after?.taskManagers.find((t) => t.partitions.includes(partition))?.id;
      return { partition, ms: after ? after.at - fault.at : undefined, by: owner };
    });
    const times = partitions.map((p) => p.ms);
    const takeoverMs =
      times.length > 0 && times.every((t) => t !== undefined) ? Math.max(...(times as number[])) : undefined;
    // What the hit TaskManager said about it: up to the next fault, or for a zombie (which only
    // speaks once woken up) until a few seconds after it was woken, even if the next fault came first.
    const until = Math.max(
      next,
      fault.kind === 'zombie' ? fault.at + fault.durationMs + ZOMBIE_NOTICE_MS : next,
    );
    const handovers = timeline
      .filter(
        (c) => c.at >= fault.at && c.at < until && c.taskManagerId === fault.target && c.kind !== 'assigned',
      )
      .map((c) => ({ taskManagerId: c.taskManagerId, kind: c.kind, partitions: c.tasks }));
    return { ...fault, partitions, takeoverMs, handovers };
  });
}

function positionAt(samples: readonly RunSample[], at: number, partition: number): number {
  let position = -1;
  for (const s of samples) {
    if (s.at > at) break;
    position = Math.max(position, s.positions[partition] ?? -1);
  }
  return position;
}

export interface OwnershipSegment {
  partition: number;
  taskManagerId: string;
  from: number;
  to: number;
}

/** Who owned each partition when: from an assignment to the next change of that partition. */
export function ownershipSegments(
  timeline: readonly OwnershipChange[],
  start: number,
  end: number,
): OwnershipSegment[] {
  const open = new Map<number, { taskManagerId: string; from: number }>();
  const segments: OwnershipSegment[] = [];
  const close = (partition: number, at: number) => {
    const current = open.get(partition);
    if (current)
      segments.push({
        partition,
        taskManagerId: current.taskManagerId,
        from: Math.max(current.from, start),
        to: at,
      });
    open.delete(partition);
  };
  for (const change of [...timeline].sort((a, b) => a.at - b.at)) {
    for (const partition of change.tasks) {
      if (change.kind === 'assigned') {
        close(partition, change.at);
        open.set(partition, { taskManagerId: change.taskManagerId, from: change.at });
      } else if (open.get(partition)?.taskManagerId === change.taskManagerId) close(partition, change.at);
    }
  }
  for (const partition of [...open.keys()]) close(partition, end);
  return segments.filter((s) => s.to > start);
}

export interface Series {
  name: string;
  points: { at: number; value: number }[];
}

/**
 * Records per second per TaskManager, between two of its heartbeats (the figures change only with
 * a heartbeat; rates between samples would alias). A restarted process starts from zero again.
 */
export function throughputPerTaskManager(samples: readonly RunSample[]): Series[] {
  const series = new Map<string, Series>();
  const last = new Map<string, { at: number; consumed: number }>();
  for (const sample of samples) {
    for (const tm of sample.taskManagers) {
      if (tm.heartbeatAt === undefined) continue;
      const before = last.get(tm.id);
      if (before && tm.heartbeatAt > before.at) {
        const delta = tm.consumed >= before.consumed ? tm.consumed - before.consumed : tm.consumed;
        let s = series.get(tm.id);
        if (!s) {
          s = { name: tm.id, points: [] };
          series.set(tm.id, s);
        }
        s.points.push({ at: tm.heartbeatAt, value: delta / ((tm.heartbeatAt - before.at) / 1000) });
      }
      if (!before || tm.heartbeatAt > before.at)
        last.set(tm.id, { at: tm.heartbeatAt, consumed: tm.consumed });
    }
  }
  // Only TaskManagers that did something are worth a line.
  return [...series.values()]
    .filter((s) => s.points.some((p) => p.value > 0))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/**
 * A figure of each TaskManager at each of its heartbeats (resident memory, open file descriptors),
 * one line per TaskManager id: a leak is a line that keeps rising. A restarted process (same id)
 * continues the same line.
 */
export function perTaskManager(
  samples: readonly RunSample[],
  read: (tm: TaskManagerSample) => number | undefined,
): Series[] {
  const series = new Map<string, Series>();
  const last = new Map<string, number>();
  for (const sample of samples) {
    for (const tm of sample.taskManagers) {
      const value = read(tm);
      if (tm.heartbeatAt === undefined || value === undefined || tm.heartbeatAt === last.get(tm.id)) continue;
      last.set(tm.id, tm.heartbeatAt);
      let s = series.get(tm.id);
      if (!s) {
        s = { name: tm.id, points: [] };
        series.set(tm.id, s);
      }
      s.points.push({ at: tm.heartbeatAt, value });
    }
  }
  return [...series.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** Resident memory (MiB) of each TaskManager at its heartbeats. */
export function memoryPerTaskManager(samples: readonly RunSample[]): Series[] {
  return perTaskManager(samples, (tm) => (tm.rssBytes > 0 ? tm.rssBytes / 2 ** 20 : undefined));
}

/**
 * Each TaskManager's end-to-end latency p99 per window between two samples that carry its
 * histogram (cumulative: their difference is the window's records). A process that restarted in
 * between (another pid) starts a new window.
 */
export function latencyP99PerTaskManager(samples: readonly RunSample[]): Series[] {
  const series = new Map<string, Series>();
  const before = new Map<string, { pid: number; latency: Readonly<Record<string, number>> }>();
  for (const sample of samples) {
    for (const tm of sample.taskManagers) {
      if (!tm.latency) continue;
      const earlier = before.get(tm.id);
      before.set(tm.id, { pid: tm.pid, latency: tm.latency });
      if (!earlier || earlier.pid !== tm.pid) continue;
      const p99 = LatencyHistogram.since(tm.latency, earlier.latency).percentile(99);
      if (p99 === undefined) continue;
      let s = series.get(tm.id);
      if (!s) {
        s = { name: tm.id, points: [] };
        series.set(tm.id, s);
      }
      s.points.push({ at: sample.at, value: p99 });
    }
  }
  return [...series.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/**
 * How much a figure grew over a long run, per process that lived from `from` to the end in the
 * same role (ACTIVE with partitions, or IDLE without): the median of its first minute after `from`
 * against the median of its last minute. A soak is flat when no process grew much. Restarted
 * processes start over, and a process whose role changed in the window is not compared: both are
 * left out.
 */
export function growthAfter(
  samples: readonly RunSample[],
  from: number,
  read: (tm: TaskManagerSample) => number | undefined,
): { id: string; pid: number; first: number; last: number }[] {
  const end = samples.at(-1)?.at ?? 0;
  const byProcess = new Map<
    string,
    { id: string; pid: number; first: number[]; last: number[]; alive: boolean; roles: Set<boolean> }
  >();
  for (const sample of samples) {
    if (sample.at < from) continue;
    for (const tm of sample.taskManagers) {
      const value = read(tm);
      // A DISCONNECTED one's figures are its last heartbeat's, whatever it holds now, and it has no
      // partitions in the registry: the soak once read a hung ACTIVE one as an IDLE one grown.
      if (
        value === undefined ||
        tm.status === 'LOST' ||
        tm.status === 'STOPPED' ||
        tm.status === 'DISCONNECTED'
      )
        continue;
      const key = `${tm.id}/${tm.pid}`;
      let p = byProcess.get(key);
      if (!p) {
        // Only a process already there when the window opened counts.
        if (sample.at > from + 60_000) continue;
        p = { id: tm.id, pid: tm.pid, first: [], last: [], alive: false, roles: new Set() };
        byProcess.set(key, p);
      }
      p.roles.add(tm.partitions.length > 0);
      if (sample.at <= from + 60_000) p.first.push(value);
      if (sample.at >= end - 60_000) {
        p.last.push(value);
        p.alive = true;
      }
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
  return (
    [...byProcess.values()]
      // A process whose role changed in the window is left out: one that took partitions holds state
      // it did not before, and one ACTIVE in between keeps the heap it grew when it is IDLE again
      // (the third soak read 81 -> 128 MiB so).
      .filter((p) => p.alive && p.first.length > 0 && p.roles.size === 1)
      .map((p) => ({ id: p.id, pid: p.pid, first: median(p.first), last: median(p.last) }))
  );
}

/** The job's overall result rate (counter or output ids) between samples. */
export function overallThroughput(samples: readonly RunSample[]): Series {
  const points: Series['points'] = [];
  for (let i = 1; i < samples.length; i++) {
    const prev = samples[i - 1];
    const cur = samples[i];
    if (!prev || !cur || cur.at <= prev.at) continue;
    points.push({ at: cur.at, value: Math.max(0, cur.count - prev.count) / ((cur.at - prev.at) / 1000) });
  }
  return { name: 'all', points };
}

export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
