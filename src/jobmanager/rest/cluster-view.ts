// What the REST API, the metrics and the dashboard read: the JobManager's registry, job, checkpoints
// and the topic's offsets, computed into the API's response shapes. Read-only.

import type {
  CheckpointCoordinator,
  CheckpointHistoryEntry,
} from '../../checkpoint/checkpoint-coordinator.js';
import { KAFKA_VERSION } from '../../infra/kafka/kafka-dist.js';
import type { SlotTask, TaskSlots } from '../../plan/task-slots.js';
import type { JobSpec, PlanStage } from '../../protocol/messages.js';
import type { TaskManagerRegistry, TaskManagerView } from '../taskmanager-registry.js';
import type {
  CheckpointConfig,
  Checkpoints,
  JobDetail,
  Overview,
  Partitions,
  TaskManagerInfo,
} from './rest-schemas.js';

export const SLUICE_VERSION = '0.1.0';

/** Offsets by task slot. */
export interface TopicOffsets {
  committed: ReadonlyMap<number, number>;
  end: ReadonlyMap<number, number>;
}

export interface ClusterView {
  readonly job: JobSpec;
  readonly slots: TaskSlots;
  readonly registry: TaskManagerRegistry;
  readonly checkpoints: CheckpointCoordinator | undefined;
  readonly jobState: 'CREATED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED';
  readonly jobStartedAt: number | undefined;
  readonly jobEndedAt: number | undefined;
  /** The group's committed offsets and the topic's end offsets (cached briefly); undefined if Kafka did not answer. */
  offsets(): Promise<TopicOffsets | undefined>;
}

export function overviewOf(view: ClusterView): Overview {
  const connected = view.registry.connected();
  const owners = view.registry.owners();
  const orphans = view.slots.all().filter((t) => (owners.get(t.slot)?.length ?? 0) === 0);
  const state = view.jobState;
  return {
    taskmanagers: connected.length,
    'taskmanagers-active': connected.filter((t) => t.status === 'ACTIVE').length,
    'taskmanagers-idle': connected.filter((t) => t.status === 'IDLE').length,
    'slots-total': view.slots.size,
    'slots-available': orphans.length,
    'jobs-running': state === 'RUNNING' || state === 'CREATED' ? 1 : 0,
    'jobs-finished': state === 'FINISHED' ? 1 : 0,
    'jobs-cancelled': state === 'CANCELED' ? 1 : 0,
    'jobs-failed': state === 'FAILED' ? 1 : 0,
    'sluice-version': SLUICE_VERSION,
    'kafka-version': KAFKA_VERSION,
  };
}

export function taskManagerInfo(t: TaskManagerView, now = Date.now()): TaskManagerInfo {
  return {
    id: t.id,
    pid: t.pid,
    host: t.host,
    address: t.address ?? null,
    state: t.status,
    partitions: [...t.tasks],
    messagesConsumed: t.consumed,
    rate: Math.round(t.rate * 10) / 10,
    timeSinceLastHeartbeat: t.lastHeartbeatAt === undefined ? null : Math.max(0, now - t.lastHeartbeatAt),
    rssBytes: t.rssBytes,
    fencedWrites: t.fencedWrites,
    deadLettered: t.deadLettered,
    deadLetterRate: Math.round(t.deadLetterRate * 10) / 10,
    clientId: t.clientId,
  };
}

export function jobDetailOf(view: ClusterView): JobDetail {
  const { job } = view;
  const owners = view.registry.owners();
  const taskOf = (slot: SlotTask) => {
    const ownerId = owners.get(slot.slot)?.[0];
    const report = ownerId
      ? view.registry.get(ownerId)?.taskReports.find((r) => r.task === slot.slot)
      : undefined;
    return {
      subtask: slot.slot,
      taskmanager: ownerId ?? null,
      status: report?.state ?? 'UNASSIGNED',
      position: report && report.position >= 0 ? report.position : null,
      recordsApplied: report?.consumed ?? 0,
    };
  };
  const start = view.jobStartedAt ?? -1;
  const end = view.jobEndedAt ?? -1;
  // A spec from before plans were sent (or a job without stages) shows as one vertex, as it did.
  const stages = (job.job.stages ?? []).map((stage) => {
    const topics = stage.reads.map((r) => r.topic);
    return { stage, slots: view.slots.all().filter((s) => topics.includes(s.topic)) };
  });
  const vertices =
    stages.length > 0
      ? stages.map(({ stage, slots }) => ({
          id: `${job.runId}-v${stage.id + 1}`,
          name: stageName(stage),
          parallelism: slots.length,
          status: view.jobState,
          tasks: slots.map(taskOf),
        }))
      : [
          {
            id: `${job.runId}-v1`,
            name: job.job.description,
            parallelism: view.slots.size,
            status: view.jobState,
            tasks: view.slots.all().map(taskOf),
          },
        ];
  return {
    jid: job.runId,
    name: job.job.name,
    state: view.jobState,
    'start-time': start,
    'end-time': end,
    duration: start < 0 ? 0 : (end < 0 ? Date.now() : end) - start,
    vertices,
    plan: { stages: stages.map(({ stage, slots }) => ({ ...stage, tasks: slots.length })) },
  };
}

/** Flink's vertex name for a stage: "Source: Kafka 'clicks' -> map -> keyBy → stage 1". */
function stageName(stage: PlanStage): string {
  const reads = stage.reads.map((r) => `'${r.topic}'`).join(', ');
  const parts = [
    `Source: Kafka ${reads}`,
    ...stage.steps.map((s) => (s.name ? `${s.label} '${s.name}'` : s.label)),
  ];
  const sinks = stage.writes.filter((w) => w.kind !== 'repartition').map((w) => w.name);
  if (sinks.length > 0) parts.push(`Sink: ${sinks.join(', ')}`);
  return parts.join(' -> ');
}

function historyItem(entry: CheckpointHistoryEntry) {
  return {
    id: entry.id,
    status: entry.status,
    trigger_timestamp: entry.triggeredAt,
    latest_ack_timestamp: entry.endedAt,
    end_to_end_duration: entry.durationMs,
    state_size: entry.sizeBytes ?? 0,
    failure_message: entry.failureReason ? `${entry.failureReason}: ${entry.detail ?? ''}` : null,
  };
}

export function checkpointsOf(view: ClusterView): Checkpoints {
  const coordinator = view.checkpoints;
  const history = coordinator?.history() ?? [];
  const stats = coordinator?.stats;
  const failed = Object.values(stats?.aborted ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  const completed = stats?.completed ?? 0;
  const inProgress = coordinator?.pendingId === undefined ? 0 : 1;
  const latestCompleted = history.find((h) => h.status === 'COMPLETED');
  const latestFailed = history.find((h) => h.status === 'FAILED');
  return {
    counts: {
      restored: 0,
      total: completed + failed + inProgress,
      in_progress: inProgress,
      completed,
      failed,
    },
    latest: {
      completed: latestCompleted ? historyItem(latestCompleted) : null,
      failed: latestFailed ? historyItem(latestFailed) : null,
    },
    history: history.map(historyItem),
  };
}

/** Flink's /jobs/:id/checkpoints/config, with when Kafka-sink tasks commit (SLUICE_CHECKPOINT_COMMIT). */
export function checkpointConfigOf(view: ClusterView): CheckpointConfig {
  const config = view.checkpoints?.config;
  const commit = view.job.checkpointCommit ?? 'aligned';
  return {
    mode: 'exactly_once',
    commit,
    interval: config?.intervalMs ?? null,
    timeout: config?.timeoutMs ?? null,
    commit_interval: commit === 'per-task' ? (view.job.commitIntervalMs ?? null) : null,
  };
}

export async function partitionsOf(view: ClusterView): Promise<Partitions> {
  const { job } = view;
  const owners = view.registry.owners();
  const offsets = await view.offsets();
  const last = view.checkpoints?.stats.lastCompleted;
  const timeline = view.registry.timeline();
  return {
    topic: job.sources.map((s) => s.topic).join(', '),
    groupId: job.groupId,
    partitions: view.slots.all().map((slot) => {
      const owner = owners.get(slot.slot)?.[0] ?? null;
      const report = owner
        ? view.registry.get(owner)?.taskReports.find((r) => r.task === slot.slot)
        : undefined;
      const committedRaw = offsets?.committed.get(slot.slot);
      const committed = committedRaw !== undefined && committedRaw >= 0 ? committedRaw : null;
      const end = offsets?.end.get(slot.slot) ?? null;
      return {
        partition: slot.slot,
        topic: slot.topic,
        topicPartition: slot.partition,
        owner,
        position: report && report.position >= 0 ? report.position : null,
        committedOffset: committed,
        endOffset: end,
        lag: end !== null && committed !== null ? Math.max(0, end - committed) : null,
        lastCheckpointedPosition: last?.tasks.find((t) => t.task === slot.slot)?.position ?? null,
        watermark: report?.watermark ?? null,
        stateEntries: report?.stateEntries ?? null,
        late: report?.late ?? 0,
        restore: report?.restore ?? null,
        blocked: report?.blocked ?? null,
        history: timeline
          .filter((c) => c.tasks.includes(slot.slot))
          .map((c) => ({ at: c.at, taskmanager: c.taskManagerId, kind: c.kind })),
      };
    }),
  };
}
