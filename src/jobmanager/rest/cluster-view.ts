// What the REST API, the metrics and the dashboard read: the JobManager's registry, job, checkpoints
// and the topic's offsets, computed into the API's response shapes. Read-only.

import type {
  CheckpointCoordinator,
  CheckpointHistoryEntry,
} from '../../checkpoint/checkpoint-coordinator.js';
import { KAFKA_VERSION } from '../../infra/kafka/kafka-dist.js';
import type { JobSpec } from '../../protocol/messages.js';
import type { TaskManagerRegistry, TaskManagerView } from '../taskmanager-registry.js';
import type { Checkpoints, JobDetail, Overview, Partitions, TaskManagerInfo } from './rest-schemas.js';

export const SLUICE_VERSION = '0.1.0';

export interface TopicOffsets {
  committed: ReadonlyMap<number, number>;
  end: ReadonlyMap<number, number>;
}

export interface ClusterView {
  readonly job: JobSpec;
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
  const orphans = Array.from({ length: view.job.partitions }, (_, p) => p).filter(
    (p) => (owners.get(p)?.length ?? 0) === 0,
  );
  const state = view.jobState;
  return {
    taskmanagers: connected.length,
    'taskmanagers-active': connected.filter((t) => t.status === 'ACTIVE').length,
    'taskmanagers-idle': connected.filter((t) => t.status === 'IDLE').length,
    'slots-total': view.job.partitions,
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
    partitions: [...t.partitions],
    messagesConsumed: t.consumed,
    rate: Math.round(t.rate * 10) / 10,
    timeSinceLastHeartbeat: t.lastHeartbeatAt === undefined ? null : Math.max(0, now - t.lastHeartbeatAt),
    rssBytes: t.rssBytes,
    fencedWrites: t.fencedWrites,
    deadLettered: t.deadLettered,
    clientId: t.clientId,
  };
}

export function jobDetailOf(view: ClusterView): JobDetail {
  const { job } = view;
  const owners = view.registry.owners();
  const tasks = Array.from({ length: job.partitions }, (_, partition) => {
    const ownerId = owners.get(partition)?.[0];
    const report = ownerId
      ? view.registry.get(ownerId)?.partitionReports.find((r) => r.partition === partition)
      : undefined;
    return {
      subtask: partition,
      taskmanager: ownerId ?? null,
      status: report?.state ?? 'UNASSIGNED',
      position: report && report.position >= 0 ? report.position : null,
      recordsApplied: report?.consumed ?? 0,
    };
  });
  const start = view.jobStartedAt ?? -1;
  const end = view.jobEndedAt ?? -1;
  const sink =
    job.sink.kind === 'kafka'
      ? `Kafka '${job.sink.topic}' (transactions)`
      : `Redis counter '${job.counterKey}'`;
  return {
    jid: job.runId,
    name: job.jobName,
    state: view.jobState,
    'start-time': start,
    'end-time': end,
    duration: start < 0 ? 0 : (end < 0 ? Date.now() : end) - start,
    vertices: [
      {
        id: `${job.runId}-v1`,
        name: `Source: Kafka '${job.topic}' -> parse -> map -> Sink: ${sink}`,
        parallelism: job.partitions,
        status: view.jobState,
        tasks,
      },
    ],
  };
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

export async function partitionsOf(view: ClusterView): Promise<Partitions> {
  const { job } = view;
  const owners = view.registry.owners();
  const offsets = await view.offsets();
  const last = view.checkpoints?.stats.lastCompleted;
  const timeline = view.registry.timeline();
  return {
    topic: job.topic,
    groupId: job.groupId,
    partitions: Array.from({ length: job.partitions }, (_, partition) => {
      const owner = owners.get(partition)?.[0] ?? null;
      const report = owner
        ? view.registry.get(owner)?.partitionReports.find((r) => r.partition === partition)
        : undefined;
      const committedRaw = offsets?.committed.get(partition);
      const committed = committedRaw !== undefined && committedRaw >= 0 ? committedRaw : null;
      const end = offsets?.end.get(partition) ?? null;
      return {
        partition,
        owner,
        position: report && report.position >= 0 ? report.position : null,
        committedOffset: committed,
        endOffset: end,
        lag: end !== null && committed !== null ? Math.max(0, end - committed) : null,
        lastCheckpointedPosition: last?.tasks.find((t) => t.partition === partition)?.position ?? null,
        history: timeline
          .filter((c) => c.partitions.includes(partition))
          .map((c) => ({ at: c.at, taskmanager: c.taskManagerId, kind: c.kind })),
      };
    }),
  };
}
