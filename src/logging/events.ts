// The typed events Sluice logs. Each event is written once: as JSON fields for machines, with the
// seed's human line (seed-lines.ts) as its message. Adding an event means adding it here and giving
// it a line there; the compiler then checks every renderer.

/** Readiness wait (the seed's "1-minute Kafka setup wait"). */
export type KafkaWaitEvent =
  | { type: 'kafka.wait.started'; bootstrapServers: string; timeoutMs: number; topic?: string }
  | {
      type: 'kafka.wait.attempt_failed';
      bootstrapServers: string;
      attempt: number;
      maxAttempts: number;
      elapsedMs: number;
      error: string;
    }
  | {
      type: 'kafka.wait.ready';
      bootstrapServers: string;
      attempt: number;
      elapsedMs: number;
      brokers: number;
    }
  | {
      type: 'kafka.wait.timed_out';
      bootstrapServers: string;
      attempts: number;
      elapsedMs: number;
      timeoutMs: number;
      error: string;
    }
  /** The broker refused this client's credentials or TLS handshake: the wait stops at once. */
  | {
      type: 'kafka.wait.refused';
      bootstrapServers: string;
      attempts: number;
      elapsedMs: number;
      error: string;
    };

/** What a TaskManager does with its share of the topic. Partition lists are sorted. */
export type TaskManagerEvent =
  | {
      type: 'taskmanager.ready';
      taskManagerId: string;
      topic: string;
      groupId: string;
      groupProtocol: string;
      /** When its Kafka transactions commit (SLUICE_CHECKPOINT_COMMIT). */
      checkpointCommit: 'aligned' | 'per-task';
    }
  | {
      type: 'taskmanager.partitions_assigned';
      taskManagerId: string;
      pid: number;
      topic: string;
      partitions: number[];
    }
  | { type: 'taskmanager.topic_partitions'; taskManagerId: string; topic: string; partitions: number[] }
  | {
      type: 'taskmanager.state_restoring';
      taskManagerId: string;
      task: string;
      changelog: string;
      records: number;
      ms: number;
    }
  | {
      type: 'taskmanager.state_restored';
      taskManagerId: string;
      task: string;
      changelog: string;
      records: number;
      ms: number;
    }
  | { type: 'taskmanager.load_status'; taskManagerId: string; status: 'ACTIVE' | 'IDLE'; partitions: number }
  | {
      type: 'taskmanager.progress';
      taskManagerId: string;
      topic: string;
      consumed: number;
      partition: number;
      offset: number;
    }
  | { type: 'taskmanager.load_balance_status'; taskManagerId: string; partitions: number; consumed: number }
  | {
      type: 'taskmanager.partitions_revoked';
      taskManagerId: string;
      topic: string;
      partitions: number[];
      /** Next offset of each partition at the moment it was handed over, in the order of `partitions`. */
      offsets: number[];
    }
  | {
      type: 'taskmanager.partitions_lost';
      taskManagerId: string;
      topic: string;
      partitions: number[];
      offsets: number[];
    }
  | { type: 'taskmanager.consume_error'; taskManagerId: string; error: string; code?: number }
  /** A task applied its first batch: the partition progresses again (takeover measurements). */
  | { type: 'taskmanager.partition_resumed'; taskManagerId: string; partition: number; offset: number }
  | {
      type: 'taskmanager.write_fenced';
      taskManagerId: string;
      partition: number;
      epoch: number;
    }
  | { type: 'taskmanager.source_completed'; taskManagerId: string; consumed: number }
  /** A task fenced with no new owner (the broker aborted its transaction): taken up again here. */
  | { type: 'taskmanager.task_revived'; taskManagerId: string; task: string; offset: number }
  /** A call the task needs keeps failing (a sink refusing writes): the task holds its records and retries. */
  | {
      type: 'taskmanager.task_blocked';
      taskManagerId: string;
      task: string;
      what: string;
      error: string;
      ms: number;
    }
  /** The call that blocked the task landed: it moves on. */
  | { type: 'taskmanager.task_unblocked'; taskManagerId: string; task: string; what: string; ms: number }
  /** The link to the JobManager broke; the TaskManager keeps consuming and registers again. */
  | { type: 'taskmanager.jobmanager_disconnected'; taskManagerId: string; reason: string; graceMs: number }
  | { type: 'taskmanager.jobmanager_reconnected'; taskManagerId: string; downMs: number }
  /** No JobManager for the whole grace period (or it runs another job): the TaskManager stops. */
  | { type: 'taskmanager.jobmanager_lost'; taskManagerId: string; reason: string }
  /** A task's local state disk failed it (full, read-only): the TaskManager gives its partitions up and exits. */
  | { type: 'taskmanager.state_disk_failed'; taskManagerId: string; task: string; error: string }
  /** The event loop did not turn for the stall timeout (user code that never returns): the process kills itself. */
  | {
      type: 'taskmanager.loop_stalled';
      taskManagerId: string;
      stalledMs: number;
      /** The batch the job's code was running over (the record that never returns is in it). */
      batch?: { task: number; firstOffset: number; lastOffset: number };
    };

/** The JobManager's view: TaskManagers coming and going, and the job's progress. */
export type JobManagerEvent =
  | { type: 'jobmanager.started'; url: string; taskManagers: number; job: string }
  /** A long-running job: a new run was recorded, or a restarted JobManager attached to the recorded one. */
  | { type: 'jobmanager.job_created'; runId: string; startFrom: string; startPositions: number[] }
  | { type: 'jobmanager.job_attached'; runId: string; createdAt: number }
  | {
      type: 'jobmanager.taskmanager_registered';
      taskManagerId: string;
      pid: number;
      host: string;
      /** The same process registering again (after a restart of the JobManager or a network cut). */
      reconnected?: boolean;
    }
  | {
      type: 'jobmanager.taskmanager_exited';
      taskManagerId: string;
      pid: number;
      code: number | null;
      signal: string | null;
    }
  | { type: 'jobmanager.taskmanager_restarted'; taskManagerId: string; pid: number }
  /** A TaskManager started here closed its connection long ago and has not exited (stuck-exits.ts): killed. */
  | { type: 'jobmanager.taskmanager_stuck'; taskManagerId: string; pid: number; ms: number }
  /** A TaskManager's process ended: its group membership is removed at once (departed-members.ts). */
  | { type: 'jobmanager.member_removed'; taskManagerId: string; memberIds: string[]; ms: number }
  | { type: 'jobmanager.member_removal_failed'; taskManagerId: string; reason: string }
  /**
   * A TaskManager kept claiming tasks the broker gives to other members (its consumer missed its
   * own revocation): it is told to exit, to be started again.
   */
  | {
      type: 'jobmanager.ownership_conflict';
      taskManagerId: string;
      tasks: number[];
      owners: string[];
      forMs: number;
    }
  /** A TaskManager silent past the heartbeat timeout: its connection is closed (DISCONNECTED). */
  | { type: 'jobmanager.taskmanager_unresponsive'; taskManagerId: string; silentMs: number }
  | {
      /** A registration that did not prove the cluster secret, or a checkpoint answer the broker's view does not back. */
      type: 'jobmanager.taskmanager_refused';
      taskManagerId: string;
      address: string | undefined;
      reason: string;
    }
  | {
      /** A member holds partitions the coordinator moved away from it, and its client does not revoke them. */
      type: 'jobmanager.revocation_stuck';
      taskManagerId: string;
      /** Per topic, the partitions it holds against its target assignment. */
      partitions: Record<string, number[]>;
      heldMs: number;
    }
  | {
      type: 'jobmanager.distribution_complete';
      elapsedMs: number;
      active: number;
      idle: number;
      partitions: number;
    }
  | {
      type: 'job.monitor';
      elapsedSeconds: number;
      key: string;
      /** Where the count is read: the seed's Redis counter, or ids seen in an output topic. */
      source?: 'redis' | 'kafka';
      count: number;
      total: number;
    }
  | { type: 'checkpoint.completed'; checkpointId: number; durationMs: number; positions: number[] }
  | { type: 'checkpoint.aborted'; checkpointId: number; reason: string; detail: string }
  | { type: 'job.completed'; count: number; elapsedSeconds: number }
  | { type: 'job.failed'; reason: string; count: number; total: number }
  /** The run's input writer waited on Redis (its sequence refused) or got going again. */
  | { type: 'job.input_waiting'; detail: string; resumed: boolean };

export type SluiceEvent = KafkaWaitEvent | TaskManagerEvent | JobManagerEvent;

export type SluiceEventType = SluiceEvent['type'];

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** The level each event is logged at: failures that stop work are errors, retries are warnings. */
export const EventLevels: Record<SluiceEventType, LogLevel> = {
  'kafka.wait.started': 'info',
  'kafka.wait.attempt_failed': 'warn',
  'kafka.wait.ready': 'info',
  'kafka.wait.timed_out': 'error',
  'kafka.wait.refused': 'error',
  'taskmanager.ready': 'info',
  'taskmanager.partitions_assigned': 'info',
  'taskmanager.topic_partitions': 'info',
  'taskmanager.state_restoring': 'info',
  'taskmanager.state_restored': 'info',
  'taskmanager.load_status': 'info',
  'taskmanager.progress': 'info',
  'taskmanager.load_balance_status': 'info',
  'taskmanager.partitions_revoked': 'info',
  'taskmanager.partitions_lost': 'warn',
  'taskmanager.consume_error': 'error',
  'taskmanager.partition_resumed': 'info',
  'taskmanager.write_fenced': 'warn',
  'taskmanager.source_completed': 'info',
  'taskmanager.task_revived': 'warn',
  'taskmanager.task_blocked': 'error',
  'taskmanager.task_unblocked': 'info',
  'taskmanager.jobmanager_disconnected': 'warn',
  'taskmanager.jobmanager_reconnected': 'info',
  'taskmanager.jobmanager_lost': 'error',
  'taskmanager.loop_stalled': 'error',
  'taskmanager.state_disk_failed': 'error',
  'jobmanager.started': 'info',
  'jobmanager.job_created': 'info',
  'jobmanager.job_attached': 'info',
  'jobmanager.taskmanager_registered': 'info',
  'jobmanager.taskmanager_exited': 'info',
  'jobmanager.taskmanager_restarted': 'warn',
  'jobmanager.taskmanager_stuck': 'error',
  'jobmanager.member_removed': 'info',
  'jobmanager.member_removal_failed': 'warn',
  'jobmanager.ownership_conflict': 'error',
  'jobmanager.taskmanager_refused': 'warn',
  'jobmanager.revocation_stuck': 'warn',
  'jobmanager.taskmanager_unresponsive': 'warn',
  'jobmanager.distribution_complete': 'info',
  // Every second: the detail is for the JSON log; the summary counts them.
  'checkpoint.completed': 'debug',
  'checkpoint.aborted': 'info',
  'job.monitor': 'info',
  'job.completed': 'info',
  'job.failed': 'error',
  'job.input_waiting': 'warn',
};
