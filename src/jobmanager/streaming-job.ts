// The JobManager as a long-running service (`sluice jobmanager`): the job runs on an existing topic
// until the service is stopped, for TaskManagers that join from any host. Nothing is produced or
// verified here. The job's identity is kept in Redis, so a restarted JobManager attaches to the
// same run: the TaskManagers, which kept consuming meanwhile, register again and the registry and
// checkpoint numbering are rebuilt from them and from the checkpoint store.

import path from 'node:path';
import { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { resetCounterSink } from '../connectors/redis/counter-sink.js';
import { connectRedis, createRedis } from '../connectors/redis/redis-client.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { EventLog } from '../logging/event-log.js';
import type { LineForwarder } from '../logging/log-forwarder.js';
import { type JobRecord, JobRecordStore } from './job-record-store.js';
import { jobSpecFromConfig, newRunId } from './job-spec.js';
import { clusterSettings, LocalCluster } from './local-cluster.js';
import { TaskManagerLauncher } from './taskmanager-launcher.js';

export interface StreamingJobOptions {
  config: SluiceConfig;
  events: EventLog;
  forwardLine: LineForwarder;
  taskManagerCommand: readonly string[];
  runsDir: string;
  /** Resolves when the service is asked to stop (SIGTERM, Ctrl-C). */
  stopRequested: Promise<void>;
  /** Start a new run even when one is recorded: the sink's results start from zero. */
  newRun?: boolean;
  status?: (text: string) => void;
  /** Told the JobManager's URL once it listens (tests, the CLI's banner). */
  onStarted?: (url: string, runId: string) => void;
}

export async function serveStreamingJob(options: StreamingJobOptions): Promise<void> {
  const { config, events } = options;
  const { topic, partitions, consumerGroup: groupId } = config.job;
  const kafka = { bootstrapServers: config.kafka.bootstrapServers, security: config.kafka.security };
  const admin = KafkaAdmin.create({ ...kafka, clientId: 'sluice-jobmanager' });
  const redis = createRedis(config.redis, { connectionName: 'sluice-jobmanager' });
  let cluster: LocalCluster | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    await connectRedis(redis, config.redis, 'the JobManager');
    // A service may start before its broker does (a host boot): wait before creating topics.
    await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, events });
    await admin.ensureTopic(topic, partitions);
    await admin.createTopic(config.job.deadLetterTopic, partitions);
    if (config.job.sink.kind === 'kafka') await admin.ensureTopic(config.job.sink.topic, partitions);
    await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, topic, events });

    const record = await attachOrCreate(options, admin, redis);
    const job = jobSpecFromConfig(config, record.runId, record.startPositions);
    const store = new CheckpointStore(redis, { groupId, topic });
    const previous = await store.latest();
    cluster = new LocalCluster({
      job,
      ...clusterSettings(config, store, previous),
      taskManagerCommand: options.taskManagerCommand,
      logDir: path.join(options.runsDir, record.runId),
      events,
      forwardLine: options.forwardLine,
      reconnectGraceMs: config.runtime.jobManagerReconnectTimeoutMs,
    });
    const url = await cluster.start();
    // A service has no "all TaskManagers registered" moment: the group is open from the start and
    // every TaskManager joins as it registers, from whatever host.
    cluster.jobManager.startGroup();
    events.emit({
      type: 'jobmanager.started',
      url,
      taskManagers: config.runtime.taskManagers,
      job: job.jobName,
    });
    cluster.launch(TaskManagerLauncher.ids(config.runtime.taskManagers));
    options.onStarted?.(url, record.runId);
    const running = cluster;
    ticker = setInterval(() => options.status?.(statusLine(running)), 1000);
    await options.stopRequested;
    running.jobManager.jobEnded('CANCELED');
  } finally {
    clearInterval(ticker);
    // Only the TaskManagers started here stop; the others work on and join the next JobManager.
    await cluster?.shutdown(20_000, { keepRemote: true }).catch(() => {});
    admin.close();
    redis.disconnect();
  }
}

/** The recorded run of this job, or a new one (its sink reset to the chosen start) when there is none. */
async function attachOrCreate(
  options: StreamingJobOptions,
  admin: KafkaAdmin,
  redis: ReturnType<typeof createRedis>,
): Promise<JobRecord> {
  const { config, events } = options;
  const { topic, partitions } = config.job;
  const records = new JobRecordStore(redis, { groupId: config.job.consumerGroup, topic });
  const existing = options.newRun ? undefined : await records.load();
  if (existing) {
    if (existing.startPositions.length !== partitions) {
      throw new SluiceError(
        'JOB_RECORD_INVALID',
        `The job recorded at Redis key '${records.key}' has ${existing.startPositions.length} partitions, ` +
          `the settings say ${partitions}. Fix: use the recorded partition count, or pass --new-run to start a new run.`,
      );
    }
    events.emit({ type: 'jobmanager.job_attached', runId: existing.runId, createdAt: existing.createdAt });
    return existing;
  }
  const startFrom = config.runtime.startFrom;
  const offsets =
    startFrom === 'earliest'
      ? await admin.beginningOffsets(topic, partitions)
      : await admin.endOffsets(topic, partitions);
  const startPositions = Array.from({ length: partitions }, (_, p) => offsets.get(p) ?? 0);
  if (config.job.sink.kind === 'redis-counter')
    await resetCounterSink(redis, config.job.sinkCounterKey, new Map(startPositions.map((o, p) => [p, o])));
  const record: JobRecord = { runId: newRunId(), createdAt: Date.now(), startFrom, startPositions };
  await records.save(record);
  events.emit({ type: 'jobmanager.job_created', runId: record.runId, startFrom, startPositions });
  return record;
}

function statusLine(cluster: LocalCluster): string {
  const connected = cluster.registry.connected();
  const active = connected.filter((t) => t.status === 'ACTIVE').length;
  const idle = connected.filter((t) => t.status === 'IDLE').length;
  const rate = connected.reduce((sum, t) => sum + t.rate, 0);
  const last = cluster.jobManager.checkpoints?.stats.lastCompleted?.id;
  return `${connected.length} TaskManagers (${active} ACTIVE, ${idle} IDLE) · ${Math.round(rate)} records/s · last checkpoint ${last ?? '-'}`;
}
