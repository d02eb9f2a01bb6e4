// The wire between JobManager and TaskManagers (JSON over one WebSocket per TaskManager). Both sides
// import only this module from each other's world; every message is checked against its schema on
// arrival, so a mismatched peer fails loudly instead of half-working.

import { z } from 'zod';

/** A stage of the job's plan as people see it (plan/plan-view.ts): for the REST API and dashboard. */
export const PlanStage = z.object({
  id: z.number().int().nonnegative(),
  /** Topics read: the job's sources (stage 0) or the repartition topic the stage before writes. */
  reads: z.array(z.object({ topic: z.string(), kind: z.enum(['source', 'repartition']) })),
  steps: z.array(
    z.object({
      /** The graph node's id (the same code gives the same ids). */
      id: z.number().int().nonnegative(),
      /** map, filter, flatMap, process, keyBy or keyed (a keyed process step or a window). */
      kind: z.string(),
      /** "keyBy → stage 1", "tumbling 10s, grace 1s, emit on close", "map". */
      label: z.string(),
      /** Keyed steps: their name (state and changelog are kept under it). */
      name: z.string().optional(),
      /** Keyed steps: `<job>-<name>-changelog`. */
      changelog: z.string().optional(),
    }),
  ),
  /** The job's sinks (`late`: a window's late records), and repartition topics with the stage that reads each. */
  writes: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['sink', 'late', 'repartition']),
      toStage: z.number().int().nonnegative().optional(),
    }),
  ),
});
export type PlanStage = z.infer<typeof PlanStage>;

/** What a TaskManager needs to run its share of the job; sent by the JobManager on registration. */
export const JobSpec = z.object({
  /** The job as the JobManager loaded it: its name and file (TaskManagers load their own copy). */
  job: z.object({
    name: z.string(),
    file: z.string(),
    description: z.string(),
    /** Its plan's stages, for the JobManager's REST API and dashboard (TaskManagers plan their own). */
    stages: z.array(PlanStage).optional(),
  }),
  /** The job's parameters as given (`--param` texts): each side reads them through the job's schema. */
  parameters: z.record(z.string(), z.string()),
  /** Content hash of the job's code: a TaskManager with another build is refused. */
  buildHash: z.string(),
  runId: z.string(),
  /** The topics the job reads, in slot order (see plan/task-slots.ts), and where this run starts each partition. */
  sources: z.array(
    z.object({
      topic: z.string(),
      partitions: z.number().int().positive(),
      /** Each partition's first offset of the run (index = partition; -1: not known). */
      startPositions: z.array(z.number().int()),
    }),
  ),
  /** Changelog topics of the job's stateful steps, and where this run's state begins in each partition. */
  changelogs: z
    .array(
      z.object({
        topic: z.string(),
        partitions: z.number().int().positive(),
        startPositions: z.array(z.number().int()),
      }),
    )
    .optional(),
  groupId: z.string(),
  groupProtocol: z.enum(['consumer', 'classic']),
  bootstrapServers: z.string(),
  kafkaWaitTimeoutMs: z.number().int().positive(),
  /** The runtime's Redis: leases, checkpoints, and the job's Redis sinks. */
  redisUrl: z.string(),
  /** Where records the job cannot process go (with headers saying where from and why). */
  deadLetterTopic: z.string(),
  progressEvery: z.number().int().positive(),
  consumeBatch: z.number().int().positive(),
  checkpointTimeoutMs: z.number().int().positive(),
  /** When a task's Kafka transaction commits (absent in jobs recorded before it existed: aligned). */
  checkpointCommit: z.enum(['aligned', 'per-task']).optional(),
  /** Per-task commits: how often a task commits on its own clock besides at the barriers (the checkpoint interval). */
  commitIntervalMs: z.number().int().positive().optional(),
});
export type JobSpec = z.infer<typeof JobSpec>;

export const TaskManagerStatus = z.enum(['STARTING', 'JOINING', 'ACTIVE', 'IDLE', 'STOPPING']);
export type TaskManagerStatus = z.infer<typeof TaskManagerStatus>;

export const TaskReport = z.object({
  /** The task's slot (plan/task-slots.ts): with one source topic, its partition. */
  task: z.number().int().nonnegative(),
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  /** Next offset this task will read (-1: none yet). */
  position: z.number().int(),
  /** Records this task processed since it took the partition. */
  consumed: z.number().int().nonnegative(),
  /** Results it handed to sinks, and records it sent to the dead-letter topic. */
  emitted: z.number().int().nonnegative(),
  deadLettered: z.number().int().nonnegative(),
  state: z.string(),
  /** Stateful and event-time tasks: the watermark (epoch ms; absent before the first). */
  watermark: z.number().int().optional(),
  /** Entries of the task's state on disk, and writes waiting for the next checkpoint. */
  stateEntries: z.number().int().nonnegative().optional(),
  statePending: z.number().int().nonnegative().optional(),
  /** Records marked late (dead-lettered with reason `late`). */
  late: z.number().int().nonnegative().optional(),
  /** The state's last restore from its changelog: records read, time taken, finished or not. */
  restore: z
    .object({ records: z.number().int().nonnegative(), ms: z.number().nonnegative(), done: z.boolean() })
    .optional(),
  /** A call the task keeps retrying because it fails (a sink refusing writes): what, the last error, for how long. */
  blocked: z
    .object({ what: z.string(), error: z.string(), ms: z.number().nonnegative(), attempts: z.number().int() })
    .optional(),
});
export type TaskReport = z.infer<typeof TaskReport>;

export const TaskSnapshot = z.object({
  task: z.number().int().nonnegative(),
  topic: z.string(),
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
    /** The job this TaskManager loaded, and its build's content hash: it must match the JobManager's. */
    job: z.object({ name: z.string(), file: z.string(), buildHash: z.string() }).optional(),
    /**
     * With a cluster secret (cluster-auth.ts): its proof for the JobManager's challenge, and a
     * challenge of its own for the JobManager to answer.
     */
    auth: z.object({ proof: z.string(), nonce: z.string() }).optional(),
  }),
  z.object({
    type: z.literal('heartbeat'),
    status: TaskManagerStatus,
    tasks: z.array(TaskReport),
    consumed: z.number().int().nonnegative(),
    /** Results handed to sinks. */
    emitted: z.number().int().nonnegative(),
    /** Per task (slot) this process ever owned: records in, results out, dead letters (cumulative). */
    taskTotals: z.array(
      z.object({
        task: z.number().int().nonnegative(),
        consumed: z.number().int().nonnegative(),
        emitted: z.number().int().nonnegative(),
        deadLettered: z.number().int().nonnegative(),
      }),
    ),
    rssBytes: z.number().int().nonnegative(),
    /** File descriptors the process holds open (Linux; absent elsewhere): a leak shows here. */
    openFds: z.number().int().nonnegative().optional(),
    /** The last checkpoint whose offsets this TaskManager committed to Kafka. */
    lastCommittedCheckpoint: z.number().int().nonnegative(),
    /** End-to-end latency of every record this TaskManager applied (sparse log buckets, cumulative). */
    latency: z.record(z.string(), z.number().int().nonnegative()),
    /**
     * Time from each record's creation to its arrival in the TaskManager's consume loop, before any
     * processing (Flink's fetch lag; same buckets): what the broker and the client took of `latency`.
     */
    fetchLatency: z.record(z.string(), z.number().int().nonnegative()).optional(),
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
    tasks: z.array(z.number().int()),
    reason: z.string(),
  }),
  /**
   * Tasks changed owner here: assigned (created and restored), revoked (handed over) or lost. The
   * JobManager's timeline records it, and a revocation or loss aborts the pending checkpoint.
   */
  z.object({
    type: z.literal('ownership'),
    at: z.number(),
    kind: z.enum(['assigned', 'revoked', 'lost']),
    tasks: z.array(z.number().int().nonnegative()),
  }),
  /** A task applied its first batch: its partition progresses again here (takeover times). */
  z.object({
    type: z.literal('task_resumed'),
    at: z.number(),
    task: z.number().int().nonnegative(),
    offset: z.number().int(),
  }),
]);
export type TaskManagerMessage = z.infer<typeof TaskManagerMessage>;

export const JobManagerMessage = z.discriminatedUnion('type', [
  /** The first message on every connection: register answering this (secured: with a proof). */
  z.object({ type: z.literal('challenge'), nonce: z.string(), secured: z.boolean() }),
  /** `proof`: the JobManager's answer to the TaskManager's own challenge, when secured. */
  z.object({
    type: z.literal('registered'),
    job: JobSpec,
    subscribe: z.boolean(),
    proof: z.string().optional(),
  }),
  z.object({ type: z.literal('rejected'), reason: z.string() }),
  /** All expected TaskManagers are registered: join the consumer group now (together). */
  z.object({ type: z.literal('start') }),
  z.object({ type: z.literal('stop'), reason: z.string() }),
  /** Snapshot every task now (after its batch in flight) and acknowledge. */
  z.object({ type: z.literal('trigger_checkpoint'), checkpointId: z.number().int() }),
  /** `--stop-when-idle` found the input idle: event time ends, every window closes. */
  z.object({ type: z.literal('end_of_input') }),
  /** The checkpoint completed: commit its offsets for the tasks still owned at the same epoch. */
  z.object({
    type: z.literal('checkpoint_complete'),
    checkpointId: z.number().int(),
    offsets: z.array(
      z.object({
        task: z.number().int(),
        topic: z.string(),
        partition: z.number().int(),
        position: z.number().int(),
        epoch: z.number().int(),
      }),
    ),
  }),
  /** The checkpoint failed: release what waits for it (prepared transactions stay open). */
  z.object({ type: z.literal('checkpoint_aborted'), checkpointId: z.number().int() }),
  /** The broker lists this TaskManager as a group member owning these tasks (slots; settled). */
  z.object({ type: z.literal('membership'), tasks: z.array(z.number().int().nonnegative()) }),
  /**
   * The broker has given tasks this TaskManager still claims to other members, for longer than any
   * handover takes: its consumer missed the revocation. It exits (its writes are fenced already).
   */
  z.object({
    type: z.literal('ownership_lost'),
    tasks: z.array(z.number().int().nonnegative()),
    owners: z.array(z.string()),
    forMs: z.number().int().nonnegative(),
  }),
]);
export type JobManagerMessage = z.infer<typeof JobManagerMessage>;

/** The WebSocket path TaskManagers connect to. */
export const TASKMANAGER_SOCKET_PATH = '/taskmanagers/socket';
