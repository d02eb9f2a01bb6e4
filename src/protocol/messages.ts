// The wire between JobManager and TaskManagers (JSON over one WebSocket per TaskManager). Both sides
// import only this module from each other's world; every message is checked against its schema on
// arrival, so a mismatched peer fails loudly instead of half-working.

import { z } from 'zod';

/** What a TaskManager needs to run its share of the job; sent by the JobManager on registration. */
export const JobSpec = z.object({
  jobName: z.string(),
  runId: z.string(),
  topic: z.string(),
  partitions: z.number().int().positive(),
  groupId: z.string(),
  groupProtocol: z.enum(['consumer', 'classic']),
  bootstrapServers: z.string(),
  kafkaWaitTimeoutMs: z.number().int().positive(),
  redisUrl: z.string(),
  counterKey: z.string(),
  /** Where results go: the seed's Redis counter, or an output topic written in Kafka transactions. */
  sink: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('redis-counter') }),
    z.object({ kind: z.literal('kafka'), topic: z.string() }),
  ]),
  /** exactly-once (default), or the unguarded at-least-once baseline kept for measurements. */
  delivery: z.enum(['exactly-once', 'at-least-once']),
  /** Each partition's end when the run started: no run reads before it. */
  startPositions: z.array(z.number().int().nonnegative()),
  /** Where records the job cannot process go (with headers saying where from and why). */
  deadLetterTopic: z.string(),
  /** Record every applied message id (a bitmap in Redis), so a verifier can prove each id once. */
  trackIds: z.boolean(),
  progressEvery: z.number().int().positive(),
  consumeBatch: z.number().int().positive(),
});
export type JobSpec = z.infer<typeof JobSpec>;

export const TaskManagerStatus = z.enum(['STARTING', 'JOINING', 'ACTIVE', 'IDLE', 'STOPPING']);
export type TaskManagerStatus = z.infer<typeof TaskManagerStatus>;

export const PartitionReport = z.object({
  partition: z.number().int().nonnegative(),
  /** Next offset this task will read (its applied position). */
  position: z.number().int(),
  /** Records this task applied since it took the partition. */
  consumed: z.number().int().nonnegative(),
  state: z.string(),
});
export type PartitionReport = z.infer<typeof PartitionReport>;

export const TaskSnapshot = z.object({
  partition: z.number().int().nonnegative(),
  position: z.number().int().nonnegative(),
  epoch: z.number().int().positive(),
  state: z.record(z.string(), z.number()),
});

export const TaskManagerMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('register'),
    taskManagerId: z.string(),
    pid: z.number().int(),
    host: z.string(),
    clientId: z.string(),
  }),
  z.object({
    type: z.literal('heartbeat'),
    status: TaskManagerStatus,
    partitions: z.array(PartitionReport),
    consumed: z.number().int().nonnegative(),
    rssBytes: z.number().int().nonnegative(),
    /** The last checkpoint whose offsets this TaskManager committed to Kafka. */
    lastCommittedCheckpoint: z.number().int().nonnegative(),
    /** End-to-end latency of every record this TaskManager applied (sparse log buckets, cumulative). */
    latency: z.record(z.string(), z.number().int().nonnegative()),
    /** Sink writes refused because another TaskManager had claimed the partition since. */
    fencedWrites: z.number().int().nonnegative(),
    /** Records this TaskManager sent to the dead-letter topic. */
    deadLettered: z.number().int().nonnegative(),
    /** When this TaskManager applied its first and its latest batch (epoch ms): processing throughput. */
    firstAppliedAt: z.number().optional(),
    lastAppliedAt: z.number().optional(),
  }),
  /** Snapshots of this TaskManager's tasks, taken at a batch boundary, for a checkpoint. */
  z.object({
    type: z.literal('checkpoint_ack'),
    checkpointId: z.number().int(),
    snapshots: z.array(TaskSnapshot),
  }),
  /** Some task could not take part (restoring, suspended): the checkpoint cannot complete. */
  z.object({
    type: z.literal('checkpoint_decline'),
    checkpointId: z.number().int(),
    partitions: z.array(z.number().int()),
    reason: z.string(),
  }),
  /** A TaskManager event (assignment, revocation, loss, idle, ...) for the JobManager's timeline. */
  z.object({
    type: z.literal('event'),
    at: z.number(),
    event: z.looseObject({ type: z.string() }),
  }),
]);
export type TaskManagerMessage = z.infer<typeof TaskManagerMessage>;

export const JobManagerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('registered'), job: JobSpec, subscribe: z.boolean() }),
  z.object({ type: z.literal('rejected'), reason: z.string() }),
  /** All expected TaskManagers are registered: join the consumer group now (together). */
  z.object({ type: z.literal('start') }),
  z.object({ type: z.literal('stop'), reason: z.string() }),
  /** Snapshot every task now (after its batch in flight) and acknowledge. */
  z.object({ type: z.literal('trigger_checkpoint'), checkpointId: z.number().int() }),
  /** The checkpoint completed: commit its offsets for the partitions still owned at the same epoch. */
  z.object({
    type: z.literal('checkpoint_complete'),
    checkpointId: z.number().int(),
    offsets: z.array(
      z.object({ partition: z.number().int(), position: z.number().int(), epoch: z.number().int() }),
    ),
  }),
  /** The checkpoint failed: release what waits for it (prepared transactions stay open). */
  z.object({ type: z.literal('checkpoint_aborted'), checkpointId: z.number().int() }),
  /** The broker lists this TaskManager as a group member owning these partitions (settled). */
  z.object({ type: z.literal('membership'), partitions: z.array(z.number().int().nonnegative()) }),
]);
export type JobManagerMessage = z.infer<typeof JobManagerMessage>;

/** The WebSocket path TaskManagers connect to. */
export const TASKMANAGER_SOCKET_PATH = '/taskmanagers/socket';
