// A job that runs until it is stopped: `sluice run <job file>` (with its TaskManagers on this host,
// optionally until the input is idle) and `sluice jobmanager` (a service for TaskManagers from any
// host). The run's identity is kept in Redis under the job's group, so a restarted JobManager — or
// the next `sluice run` of the same job — attaches to the same run and resumes where it stopped.
// Stopping is clean: a last checkpoint commits, then the TaskManagers hand their tasks over.

import path from 'node:path';
import { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { connectRedis, createRedis } from '../connectors/redis/redis-client.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { EventLog } from '../logging/event-log.js';
import type { LineForwarder } from '../logging/log-forwarder.js';
import { resetRun, runStarts } from '../runtime/run-reset.js';
import { takeFinalCheckpoint } from './final-checkpoint.js';
import { waitUntilIdle } from './idle-watch.js';
import { type JobRecord, JobRecordStore } from './job-record-store.js';
import { buildJobSpec, newRunId } from './job-spec.js';
import { type JobTopics, prepareJobTopics } from './job-topics.js';
import { clusterSettings, LocalCluster } from './local-cluster.js';
import type { PreparedJob } from './prepared-job.js';
import { TaskManagerLauncher } from './taskmanager-launcher.js';
import type { TaskManagerView, TaskTotals } from './taskmanager-registry.js';

export interface StreamingJobOptions {
  config: SluiceConfig;
  events: EventLog;
  forwardLine: LineForwarder;
  taskManagerCommand: readonly string[];
  runsDir: string;
  job: PreparedJob;
  /** The job's consumer group: one group is one job. */
  groupId: string;
  /** Resolves when the job is asked to stop (SIGTERM, Ctrl-C). */
  stopRequested: Promise<void>;
  /** Start a new run even when one is recorded: tasks start over at the chosen start, results from zero. */
  newRun?: boolean;
  /** Stop (cleanly) once no input arrived for this long and everything read is committed. */
  stopWhenIdleMs?: number;
  /** Create missing topics even on a named cluster (the seed's job makes its own topic). */
  createTopics?: boolean;
  /** A service leaves TaskManagers of other hosts running (they join its next start). */
  service: boolean;
  status?: (text: string) => void;
  /** Told the JobManager's URL once it listens (tests, the CLI's banner). */
  onStarted?: (url: string, runId: string) => void;
}

export interface StreamingResult {
  runId: string;
  attached: boolean;
  stoppedBy: 'signal' | 'idle';
  /** The checkpoint taken as the job stopped. */
  finalCheckpoint: CompletedCheckpoint | undefined;
  /** Records in, results out and dead letters per task (slot), over every owner it had. */
  tasks: { slot: number; topic: string; partition: number; totals: TaskTotals }[];
  taskManagers: TaskManagerView[];
  deadLetterTopic: string;
  logDir: string;
}

export async function serveStreamingJob(options: StreamingJobOptions): Promise<StreamingResult> {
  const { config, events, job, groupId } = options;
  const kafka = { bootstrapServers: config.kafka.bootstrapServers, security: config.kafka.security };
  const admin = KafkaAdmin.create({ ...kafka, clientId: 'sluice-jobmanager' });
  const redis = createRedis(config.redis, { connectionName: 'sluice-jobmanager' });
  const deadLetterTopic = config.job.deadLetterTopicGiven ?? `${job.plan.sourceTopics[0]}.dlq`;
  let cluster: LocalCluster | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let stopped = false;
  void options.stopRequested.then(() => {
    stopped = true;
  });
  try {
    await connectRedis(redis, config.redis, 'the JobManager');
    // A service may start before its broker does (a host boot): wait before touching topics.
    await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, events });
    const topics = await prepareJobTopics(admin, job.plan, deadLetterTopic, {
      create: options.createTopics === true || !config.kafka.bootstrapGiven,
      partitions: config.job.partitions,
      bootstrapServers: config.kafka.bootstrapServers,
    });
    for (const { topic } of topics.sources)
      await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, topic, events });

    const { record, attached } = await attachOrCreate(options, admin, redis, topics);
    const starts = new Map(record.sources.map((s) => [s.topic, s.startPositions]));
    const changelogStarts = new Map((record.changelogs ?? []).map((s) => [s.topic, s.startPositions]));
    const spec = buildJobSpec(config, {
      loaded: job.loaded,
      plan: job.plan,
      parameters: job.parameters,
      runId: record.runId,
      groupId,
      deadLetterTopic,
      sources: topics.sources.map((s) => ({
        topic: s.topic,
        partitions: s.partitions,
        startPositions: starts.get(s.topic) ?? [],
      })),
      changelogs: topics.changelogs.map((s) => ({
        ...s,
        startPositions: changelogStarts.get(s.topic) ?? [],
      })),
    });
    const store = new CheckpointStore(redis, groupId);
    cluster = new LocalCluster({
      job: spec,
      ...clusterSettings(config, store, await store.latest()),
      taskManagerCommand: options.taskManagerCommand,
      logDir: path.join(options.runsDir, record.runId),
      events,
      forwardLine: options.forwardLine,
      ...(options.service ? { reconnectGraceMs: config.runtime.jobManagerReconnectTimeoutMs } : {}),
    });
    const url = await cluster.start();
    // No "all TaskManagers registered" moment here: the group is open from the start and every
    // TaskManager joins as it registers, from whatever host.
    cluster.jobManager.startGroup();
    events.emit({
      type: 'jobmanager.started',
      url,
      taskManagers: config.runtime.taskManagers,
      job: spec.job.name,
    });
    cluster.launch(TaskManagerLauncher.ids(config.runtime.taskManagers));
    options.onStarted?.(url, record.runId);
    const running = cluster;
    ticker = setInterval(() => options.status?.(statusLine(running)), 1000);
    let stoppedBy: StreamingResult['stoppedBy'] = 'signal';
    if (options.stopWhenIdleMs !== undefined) {
      const idle = await Promise.race([
        waitUntilIdle(running.jobManager, options.stopWhenIdleMs, () => stopped),
        options.stopRequested.then(() => false),
      ]);
      if (idle) stoppedBy = 'idle';
      // End of input: event time ends, every window closes; each later stage hears it from the one
      // before (markers), so wait for the job to be idle again once per stage.
      if (idle && job.plan.stages.some((s) => s.steps.length > 0 || s.repartitions.length > 0)) {
        options.status?.('end of input: closing windows');
        // Said again each round: a task that moved or restarted meanwhile hears it too (idempotent).
        for (let i = 0; i < job.plan.stages.length && !stopped; i++) {
          running.jobManager.endInput();
          // Two checkpoints after the word (one may have been taken before the tasks heard it), and
          // quiet for longer than the heartbeats and offsets the idle watch sees lag behind (1 s each).
          const floor = (running.jobManager.checkpoints?.stats.lastCompleted?.id ?? 0) + 1;
          await waitUntilIdle(running.jobManager, 3000, () => stopped, Date.now, floor);
        }
      }
    } else await options.stopRequested;
    options.status?.('final checkpoint');
    const finalCheckpoint = await takeFinalCheckpoint(running);
    running.jobManager.jobEnded(stoppedBy === 'idle' ? 'FINISHED' : 'CANCELED');
    options.status?.('stopping TaskManagers');
    // Only the TaskManagers started here stop, for a service; the others join its next start.
    cluster = undefined;
    await running.shutdown(20_000, { keepRemote: options.service });
    const totals = running.registry.taskTotals();
    return {
      runId: record.runId,
      attached,
      stoppedBy,
      finalCheckpoint,
      tasks: running.jobManager.slots.all().map((s) => ({
        slot: s.slot,
        topic: s.topic,
        partition: s.partition,
        totals: totals.get(s.slot) ?? { consumed: 0, emitted: 0, deadLettered: 0 },
      })),
      taskManagers: running.registry.list(),
      deadLetterTopic,
      logDir: path.join(options.runsDir, record.runId),
    };
  } finally {
    clearInterval(ticker);
    await cluster?.shutdown(20_000, { keepRemote: options.service }).catch(() => {});
    admin.close();
    redis.disconnect();
  }
}

/** The recorded run of this job, or a new one (its tasks and sinks reset to the chosen start). */
async function attachOrCreate(
  options: StreamingJobOptions,
  admin: KafkaAdmin,
  redis: ReturnType<typeof createRedis>,
  topics: JobTopics,
): Promise<{ record: JobRecord; attached: boolean }> {
  const sources = topics.sources;
  const { config, events, job, groupId } = options;
  const records = new JobRecordStore(redis, groupId);
  const existing = options.newRun ? undefined : await records.load();
  if (existing) {
    const recorded = existing.sources.map((s) => `${s.topic} (${s.startPositions.length})`).join(', ');
    const now = sources.map((s) => `${s.topic} (${s.partitions})`).join(', ');
    if (existing.jobName !== job.plan.name || recorded !== now) {
      throw new SluiceError(
        'JOB_RECORD_INVALID',
        `The run recorded at Redis key '${records.key}' is job '${existing.jobName}' reading ${recorded}; this is job ` +
          `'${job.plan.name}' reading ${now}. Fix: pass --new-run to start a new run (results start from zero), ` +
          'or give this job its own consumer group (--group).',
      );
    }
    events.emit({ type: 'jobmanager.job_attached', runId: existing.runId, createdAt: existing.createdAt });
    return { record: existing, attached: true };
  }
  const startFrom = config.runtime.startFrom;
  const recordSources: JobRecord['sources'] = [];
  // Internal topics (repartition, changelog) always start where they end now: what an earlier
  // run left there is not this run's.
  for (const { topic, partitions, internal } of sources) {
    const offsets =
      startFrom === 'earliest' && !internal
        ? await admin.beginningOffsets(topic, partitions)
        : await admin.endOffsets(topic, partitions);
    recordSources.push({
      topic,
      startPositions: Array.from({ length: partitions }, (_, p) => offsets.get(p) ?? 0),
    });
  }
  const changelogs: NonNullable<JobRecord['changelogs']> = [];
  for (const { topic, partitions } of topics.changelogs) {
    const offsets = await admin.endOffsets(topic, partitions);
    changelogs.push({
      topic,
      startPositions: Array.from({ length: partitions }, (_, p) => offsets.get(p) ?? 0),
    });
  }
  await resetRun(redis, job.plan, groupId, runStarts(recordSources));
  const record: JobRecord = {
    runId: newRunId(),
    createdAt: Date.now(),
    jobName: job.plan.name,
    startFrom,
    sources: recordSources,
    changelogs,
  };
  await records.save(record);
  events.emit({
    type: 'jobmanager.job_created',
    runId: record.runId,
    startFrom,
    startPositions: recordSources.flatMap((s) => s.startPositions),
  });
  return { record, attached: false };
}

function statusLine(cluster: LocalCluster): string {
  const connected = cluster.registry.connected();
  const active = connected.filter((t) => t.status === 'ACTIVE').length;
  const idle = connected.filter((t) => t.status === 'IDLE').length;
  const rate = connected.reduce((sum, t) => sum + t.rate, 0);
  const last = cluster.jobManager.checkpoints?.stats.lastCompleted?.id;
  return `${connected.length} TaskManagers (${active} ACTIVE, ${idle} IDLE) · ${Math.round(rate)} records/s · last checkpoint ${last ?? '-'}`;
}
