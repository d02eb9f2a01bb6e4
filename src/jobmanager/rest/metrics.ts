// Prometheus metrics of the JobManager (prom-client), computed at each scrape from the same view the
// REST API reads. Flink-like names where Flink has the metric (numRecordsIn, currentOffsets,
// committedOffsets, lastCheckpointDuration, ...), all prefixed sluice_.

import { Gauge, Registry } from 'prom-client';
import type { TaskReport } from '../../protocol/messages.js';
import { isGone } from '../taskmanager-registry.js';
import { type ClusterView, SLUICE_VERSION } from './cluster-view.js';

export function createMetrics(view: ClusterView): Registry {
  const registry = new Registry();
  /** A slot's labels: its topic and partition. */
  const at = (slot: number) => {
    const task = view.slots.at(slot);
    return { topic: task?.topic ?? '?', partition: String(task?.partition ?? slot) };
  };

  new Gauge({
    name: 'sluice_partition_assignment',
    help: '1 for the TaskManager that owns a partition of the source topic',
    labelNames: ['topic', 'partition', 'taskmanager'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [slot, owners] of view.registry.owners()) {
        for (const owner of owners) this.set({ ...at(slot), taskmanager: owner }, 1);
      }
    },
  });
  new Gauge({
    name: 'sluice_taskmanagers',
    help: 'TaskManagers by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const t of view.registry.list()) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
      for (const [state, n] of counts) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'sluice_numRecordsIn',
    help: 'Records applied by each TaskManager (Flink: numRecordsIn)',
    labelNames: ['taskmanager'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of view.registry.list()) this.set({ taskmanager: t.id }, t.consumed);
    },
  });
  new Gauge({
    name: 'sluice_numRecordsInPerSecond',
    help: 'Records per second of each TaskManager between its last two heartbeats',
    labelNames: ['taskmanager'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of view.registry.connected()) this.set({ taskmanager: t.id }, t.rate);
    },
  });
  new Gauge({
    name: 'sluice_currentOffsets',
    help: "Next offset the owner's task reads, per partition (Flink: currentOffsets)",
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const t of view.registry.connected()) {
        for (const r of t.taskReports) if (r.position >= 0) this.set(at(r.task), r.position);
      }
    },
  });
  new Gauge({
    name: 'sluice_committedOffsets',
    help: "The group's committed offset per partition, a completed checkpoint's position (Flink: committedOffsets)",
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const offsets = await view.offsets();
      for (const [slot, offset] of offsets?.committed ?? []) {
        if (offset >= 0) this.set(at(slot), offset);
      }
    },
  });
  new Gauge({
    name: 'sluice_records_lag',
    help: 'End offset minus committed offset, per partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const offsets = await view.offsets();
      for (const [slot, end] of offsets?.end ?? []) {
        const committed = offsets?.committed.get(slot);
        if (committed !== undefined && committed >= 0) this.set(at(slot), Math.max(0, end - committed));
      }
    },
  });
  /** A gauge per task from its owner's report (tasks that keep time or state). */
  const taskGauge = (name: string, help: string, read: (r: TaskReport) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['topic', 'partition'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const t of view.registry.connected())
          for (const r of t.taskReports) {
            const value = read(r);
            if (value !== undefined) this.set(at(r.task), value);
          }
      },
    });
  taskGauge(
    'sluice_task_watermark_ms',
    "The task's watermark, epoch ms (event-time tasks)",
    (r) => r.watermark,
  );
  taskGauge(
    'sluice_task_state_entries',
    "Entries of the task's state on disk (stateful tasks)",
    (r) => r.stateEntries,
  );
  taskGauge('sluice_task_late_records', 'Records marked late since the owner took the task', (r) => r.late);
  taskGauge(
    'sluice_state_restore_records',
    "Changelog records read by the task's last restore",
    (r) => r.restore?.records,
  );
  taskGauge(
    'sluice_state_restore_seconds',
    "Duration of the task's last restore (so far, while restoring)",
    (r) => (r.restore === undefined ? undefined : r.restore.ms / 1000),
  );
  taskGauge(
    'sluice_task_blocked_seconds',
    'How long a call the task needs has kept failing (a sink refusing writes); 0 while the task moves',
    (r) => (r.blocked ? r.blocked.ms / 1000 : 0),
  );
  taskGauge('sluice_state_restoring', '1 while the task restores its state from the changelog', (r) =>
    r.restore === undefined ? undefined : r.restore.done ? 0 : 1,
  );
  const checkpointGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  checkpointGauge(
    'sluice_lastCheckpointDuration',
    'Milliseconds from trigger to completion of the last checkpoint',
    () => view.checkpoints?.stats.lastDurationMs ?? 0,
  );
  checkpointGauge(
    'sluice_numberOfCompletedCheckpoints',
    'Completed checkpoints',
    () => view.checkpoints?.stats.completed ?? 0,
  );
  checkpointGauge('sluice_numberOfFailedCheckpoints', 'Aborted checkpoints', () =>
    Object.values(view.checkpoints?.stats.aborted ?? {}).reduce((a, b) => a + (b ?? 0), 0),
  );
  checkpointGauge(
    'sluice_lastCompletedCheckpointId',
    'Id of the last completed checkpoint',
    () => view.checkpoints?.stats.lastCompleted?.id ?? 0,
  );
  new Gauge({
    name: 'sluice_partition_moves_total',
    help: 'Ownership changes of partitions since the JobManager started, by kind (assigned, revoked, lost)',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const kind of ['assigned', 'revoked', 'lost'] as const) {
        this.set({ kind }, view.registry.timeline().filter((c) => c.kind === kind).length);
      }
    },
  });
  new Gauge({
    name: 'sluice_takeovers_total',
    help: "Partitions that resumed on a new task after the JobManager's first distribution (restarts included)",
    registers: [registry],
    collect() {
      const resumed = view.registry.resumed();
      const first = new Set<number>();
      let takeovers = 0;
      for (const r of resumed) {
        if (first.has(r.task)) takeovers++;
        else first.add(r.task);
      }
      this.set(takeovers);
    },
  });
  checkpointGauge('sluice_dead_letters_total', 'Records sent to the dead-letter topic', () =>
    view.registry.list().reduce((n, t) => n + t.deadLettered, 0),
  );
  checkpointGauge(
    'sluice_dead_letters_per_second',
    "Records sent to the dead-letter topic per second, over the live TaskManagers' last heartbeats (the error rate)",
    () =>
      view.registry
        .list()
        .filter((t) => !isGone(t.status))
        .reduce((n, t) => n + t.deadLetterRate, 0),
  );
  checkpointGauge(
    'sluice_rejected_zombie_writes_total',
    'Sink writes refused because a newer owner had claimed the partition',
    () => view.registry.list().reduce((n, t) => n + t.fencedWrites, 0),
  );
  new Gauge({
    name: 'sluice_build_info',
    help: 'Sluice version',
    labelNames: ['version'] as const,
    registers: [registry],
    collect() {
      this.set({ version: SLUICE_VERSION }, 1);
    },
  });
  return registry;
}
