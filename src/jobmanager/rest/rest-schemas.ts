// The REST API's response shapes, as zod schemas: the source of the OpenAPI document, of the tests'
// response validation, and of the TypeScript types the handlers return. Field names follow Flink's
// REST API where Flink has the same thing (/overview, /taskmanagers, /jobs, checkpoints).

import { z } from 'zod';
import { PlanStage } from '../../protocol/messages.js';

export const TaskManagerState = z.enum([
  'STARTING',
  'JOINING',
  'ACTIVE',
  'IDLE',
  'STOPPING',
  'DISCONNECTED',
  'STOPPED',
  'LOST',
]);

export const Overview = z.object({
  taskmanagers: z.number().int().describe('TaskManagers connected now'),
  'taskmanagers-active': z.number().int(),
  'taskmanagers-idle': z.number().int(),
  'slots-total': z.number().int().describe('Partitions of the source topic (one task each)'),
  'slots-available': z.number().int().describe('Partitions without an owner right now'),
  'jobs-running': z.number().int(),
  'jobs-finished': z.number().int(),
  'jobs-cancelled': z.number().int(),
  'jobs-failed': z.number().int(),
  'sluice-version': z.string(),
  'kafka-version': z.string(),
});

export const TaskManagerInfo = z.object({
  id: z.string(),
  pid: z.number().int(),
  host: z.string().describe('The host name the TaskManager reported'),
  address: z.string().nullable().describe('The address its connection came from, as the JobManager saw it'),
  state: TaskManagerState,
  partitions: z
    .array(z.number().int())
    .describe('The tasks it owns, by slot (with one source topic: its partitions)'),
  messagesConsumed: z.number().int(),
  rate: z.number().describe('Records per second between its last two heartbeats'),
  timeSinceLastHeartbeat: z
    .number()
    .int()
    .nullable()
    .describe('Milliseconds; null before the first heartbeat'),
  rssBytes: z.number().int(),
  fencedWrites: z.number().int(),
  deadLettered: z.number().int(),
  deadLetterRate: z
    .number()
    .describe(
      'Records sent to the dead-letter topic per second between its last two heartbeats (the error rate)',
    ),
  clientId: z.string(),
});

export const TaskManagers = z.object({ taskmanagers: z.array(TaskManagerInfo) });

export const JobState = z.enum(['CREATED', 'RUNNING', 'FINISHED', 'FAILED', 'CANCELED']);

export const JobsOverview = z.object({ jobs: z.array(z.object({ id: z.string(), status: JobState })) });

export const JobTask = z.object({
  subtask: z.number().int().describe('The partition this task owns'),
  taskmanager: z.string().nullable(),
  status: z.string().describe('The task state reported by its TaskManager (RUNNING, RESTORING, ...)'),
  position: z.number().int().nullable(),
  recordsApplied: z.number().int(),
});

export const JobDetail = z.object({
  jid: z.string(),
  name: z.string(),
  state: JobState,
  'start-time': z.number().int().describe('Epoch ms; -1 before the job started'),
  'end-time': z.number().int().describe('Epoch ms; -1 while running'),
  duration: z.number().int(),
  vertices: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        parallelism: z.number().int(),
        status: JobState,
        tasks: z.array(JobTask),
      }),
    )
    .describe('One per stage of the plan, as Flink has one per chain of operators'),
  plan: z.object({
    stages: z.array(
      PlanStage.extend({ tasks: z.number().int().describe('One per partition of the topics it reads') }),
    ),
  }),
});

export const CheckpointHistoryItem = z.object({
  id: z.number().int(),
  status: z.enum(['COMPLETED', 'FAILED']),
  trigger_timestamp: z.number().int(),
  latest_ack_timestamp: z.number().int(),
  end_to_end_duration: z.number().int(),
  state_size: z.number().int(),
  failure_message: z.string().nullable(),
});

export const Checkpoints = z.object({
  counts: z.object({
    restored: z.number().int(),
    total: z.number().int(),
    in_progress: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
  }),
  latest: z.object({
    completed: CheckpointHistoryItem.nullable(),
    failed: CheckpointHistoryItem.nullable(),
  }),
  history: z.array(CheckpointHistoryItem),
});

export const CheckpointConfig = z.object({
  mode: z.literal('exactly_once'),
  commit: z
    .enum(['aligned', 'per-task'])
    .describe(
      "When Kafka-sink tasks commit: aligned, once the checkpoint completed (Flink's two-phase commit); per-task, at each task's barrier and on its own clock (SLUICE_CHECKPOINT_COMMIT)",
    ),
  interval: z
    .number()
    .int()
    .nullable()
    .describe("Ms from one checkpoint's end to the next trigger; null without periodic checkpoints"),
  timeout: z.number().int().nullable().describe('Ms a checkpoint may take before it is aborted'),
  commit_interval: z
    .number()
    .int()
    .nullable()
    .describe("Per-task commits: ms between a task's own commits; null when aligned"),
});

export const PartitionMove = z.object({
  at: z.number().int(),
  taskmanager: z.string(),
  kind: z.enum(['assigned', 'revoked', 'lost']),
});

export const PartitionInfo = z.object({
  partition: z.number().int().describe("The task's slot: with one source topic, its partition"),
  topic: z.string(),
  topicPartition: z.number().int().describe('The partition of `topic` this task reads'),
  owner: z.string().nullable(),
  position: z.number().int().nullable().describe("Next offset the owner's task reads"),
  committedOffset: z
    .number()
    .int()
    .nullable()
    .describe("The group's committed offset (a completed checkpoint's position)"),
  endOffset: z.number().int().nullable(),
  lag: z.number().int().nullable().describe('endOffset - committedOffset'),
  lastCheckpointedPosition: z.number().int().nullable(),
  watermark: z
    .number()
    .int()
    .nullable()
    .describe("Event-time tasks: the owner's watermark (epoch ms), null before the first or for other tasks"),
  stateEntries: z.number().int().nullable().describe("Stateful tasks: entries of the task's state on disk"),
  late: z.number().int().describe('Records marked late since the owner took the task'),
  restore: z
    .object({ records: z.number().int(), ms: z.number(), done: z.boolean() })
    .nullable()
    .describe("Stateful tasks: the owner's last restore from the changelog (records read, ms, finished)"),
  blocked: z
    .object({ what: z.string(), error: z.string(), ms: z.number(), attempts: z.number().int() })
    .nullable()
    .describe(
      'A call the task keeps retrying because it fails (a sink refusing writes, Redis out of memory): ' +
        'the task holds its records until it lands. null when the task moves',
    ),
  history: z.array(PartitionMove),
});

export const Partitions = z.object({
  topic: z.string().describe("The job's source topics, comma-separated"),
  groupId: z.string(),
  partitions: z.array(PartitionInfo),
});

export const ErrorBody = z.object({ errors: z.array(z.string()) });

export type Overview = z.infer<typeof Overview>;
export type TaskManagerInfo = z.infer<typeof TaskManagerInfo>;
export type JobDetail = z.infer<typeof JobDetail>;
export type Checkpoints = z.infer<typeof Checkpoints>;
export type CheckpointConfig = z.infer<typeof CheckpointConfig>;
export type Partitions = z.infer<typeof Partitions>;
