// Sluice as a benchmark peer: a JobManager and one TaskManager per partition running the
// count-per-key job, exactly once, into the Redis hash or an output topic (Kafka transactions).

import path from 'node:path';
import { CheckpointStore } from '../../checkpoint/checkpoint-store.js';
import { KafkaAdmin } from '../../connectors/kafka/admin.js';
import { PLAINTEXT } from '../../connectors/kafka/client-config.js';
import { counterKeys } from '../../connectors/redis/counter-keys.js';
import { createRedis } from '../../connectors/redis/redis-client.js';
import { guardField } from '../../connectors/redis/redis-sink.js';
import { buildJobSpec, newRunId } from '../../jobmanager/job-spec.js';
import { prepareJobTopics } from '../../jobmanager/job-topics.js';
import { LocalCluster } from '../../jobmanager/local-cluster.js';
import { prepareJob } from '../../jobmanager/prepared-job.js';
import { TaskManagerLauncher } from '../../jobmanager/taskmanager-launcher.js';
import { EventLog } from '../../logging/event-log.js';
import { createLogger } from '../../logging/logger.js';
import { resetRun, runStarts } from '../../runtime/run-reset.js';
import type { BenchInput } from '../bench-input.js';
import { measureDrain } from '../drain-meter.js';
import { decodeDecimal, KeyedOutputReader } from '../keyed-output-reader.js';
import { type BenchEnvironment, checkCounts, type PeerResult } from './peer.js';

export interface SluiceOptions {
  sink: 'redis' | 'kafka';
  groupProtocol?: 'consumer' | 'classic';
  taskManagers?: number;
  checkpointIntervalMs?: number;
  /** When a Kafka-sink task's transaction commits (config/settings.ts, checkpointCommit). */
  checkpointCommit?: 'aligned' | 'per-task';
  delivery?: 'exactly-once' | 'at-least-once';
  /** Start killed TaskManagers again (the failover benchmark keeps its pool). */
  restart?: boolean;
  registrationTimeoutMs?: number;
  /**
   * Set: the windowed job (jobs/windowed-count.js, tumbling windows of this size, keyed state in a
   * changelog) instead of the count per key; its results go to the output topic, one per window.
   */
  windowMs?: number;
  /** The restore benchmark's job (jobs/keyed-count.js: a running count per key in keyed state) instead. */
  keyedCount?: boolean;
  /** More environment for the TaskManagers (the restore benchmark gives them their own state directory). */
  env?: Record<string, string>;
}

/** Starts the cluster and returns it ready (partitions distributed); the caller drives and shuts it down. */
export async function startSluice(env: BenchEnvironment, input: BenchInput, options: SluiceOptions) {
  const runId = newRunId();
  const counterKey = `sluice:bench:${runId}`;
  const output = `sluice-bench-out-${runId}`;
  const groupId = `sluice-bench-${runId}`;
  const windowed = options.windowMs !== undefined;
  const prepared = windowed
    ? await prepareJob(path.join(env.jobsDir, 'windowed-count.js'), {
        topic: input.topic,
        output,
        windowMs: String(options.windowMs),
      })
    : options.keyedCount
      ? await prepareJob(path.join(env.jobsDir, 'keyed-count.js'), { topic: input.topic, output })
      : await prepareJob(path.join(env.jobsDir, 'count-per-key.js'), {
          topic: input.topic,
          counterKey,
          sink: options.sink === 'kafka' ? `kafka:${output}` : 'redis',
          delivery: options.delivery ?? 'exactly-once',
        });
  const startPositions = Array.from({ length: input.partitions }, () => 0);
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: env.bootstrapServers,
    clientId: 'sluice-bench-admin',
  });
  const deadLetterTopic = `${input.topic}.dlq`;
  if (options.sink === 'kafka') await admin.ensureTopic(output, input.partitions);
  // A stateful job's changelogs, as the JobManager makes them; this run starts at their end.
  const { changelogs } = await prepareJobTopics(admin, prepared.plan, deadLetterTopic, {
    create: true,
    partitions: input.partitions,
    bootstrapServers: env.bootstrapServers,
  });
  const changelogStarts = await Promise.all(
    changelogs.map(async (c) => ({
      ...c,
      startPositions: await admin
        .endOffsets(c.topic, c.partitions)
        .then((ends) => Array.from({ length: c.partitions }, (_, p) => ends.get(p) ?? 0)),
    })),
  );
  const job = buildJobSpec(
    {
      kafka: { bootstrapServers: env.bootstrapServers, waitTimeoutMs: 60_000 },
      redis: { url: env.redisUrl },
      runtime: {
        groupProtocol: options.groupProtocol ?? 'consumer',
        progressEvery: 1_000_000_000,
        consumeBatch: 2000,
        checkpointTimeoutMs: 10_000,
        checkpointCommit: options.checkpointCommit ?? 'aligned',
        checkpointIntervalMs: options.checkpointIntervalMs ?? 100,
      },
    },
    {
      ...prepared,
      runId,
      groupId,
      deadLetterTopic,
      sources: [{ topic: input.topic, partitions: input.partitions, startPositions }],
      changelogs: changelogStarts,
    },
  );
  const redis = createRedis({ url: env.redisUrl });
  await redis.connect();
  await resetRun(redis, prepared.plan, groupId, runStarts([{ topic: input.topic, startPositions }]));
  let reader: KeyedOutputReader | undefined;
  if (options.sink === 'kafka') {
    reader = await KeyedOutputReader.start({
      bootstrapServers: env.bootstrapServers,
      topic: output,
      partitions: input.partitions,
      // One result per window (its own key), or the running count per key: the latest value counts.
      mode: windowed || options.keyedCount ? 'latest' : 'delta',
      decode: decodeDecimal,
    });
  }
  const store = new CheckpointStore(redis, groupId);
  /** A JobManager and its TaskManagers for the run, resuming from its last checkpoint if it has one. */
  const launch = async () => {
    const previous = await store.latest();
    const started = new LocalCluster({
      job,
      security: { kafka: PLAINTEXT, redis: { url: env.redisUrl } },
      jobManagerPort: 0,
      taskManagerCommand: env.taskManagerCommand,
      logDir: path.join(env.workDir, 'sluice', runId),
      events: new EventLog(createLogger({ format: 'json', level: 'silent' })),
      forwardLine: () => {},
      checkpointing: {
        intervalMs: options.checkpointIntervalMs ?? 100,
        timeoutMs: 10_000,
        store,
        ...(previous ? { previous } : {}),
      },
      restartOnCrash: options.restart === true,
      ...(options.env ? { env: options.env } : {}),
    });
    await started.start();
    const ids = TaskManagerLauncher.ids(options.taskManagers ?? input.partitions);
    started.launch(ids);
    await started.waitForRegistered(ids, options.registrationTimeoutMs ?? 120_000);
    started.jobManager.startGroup();
    return started;
  };
  let cluster = await launch();
  const keys = counterKeys(counterKey);
  const total = async () => (reader ? reader.total : Number((await redis.get(keys.counter)) ?? 0));
  const counts = async () =>
    reader
      ? reader.counts
      : new Map(Object.entries(await redis.hgetall(keys.byKey)).map(([k, v]) => [k, Number(v)]));
  const stop = async () => {
    await cluster.shutdown();
    await reader?.stop();
    await store.clear();
    await redis.del(keys.counter, keys.positions, keys.epochs, keys.byKey, `sluice:${groupId}:leases`);
    if (options.sink === 'kafka') await admin.deleteTopic(output).catch(() => {});
    admin.close();
    redis.disconnect();
  };
  /** A partition's position in the counter's guard (how far it was applied). */
  const position = async (partition: number) =>
    Number((await redis.hget(keys.positions, guardField(input.topic, partition))) ?? 0);
  /** Stops the cluster cleanly, runs `between` (the processes are gone), and starts the run again. */
  const restart = async (between: () => Promise<void>) => {
    await cluster.shutdown();
    await between();
    cluster = await launch();
  };
  return {
    get cluster() {
      return cluster;
    },
    job,
    total,
    counts,
    position,
    stop,
    restart,
    reader,
  };
}

export async function runSluice(
  env: BenchEnvironment,
  input: BenchInput,
  options: SluiceOptions,
): Promise<PeerResult> {
  const sluice = await startSluice(env, input, options);
  try {
    const drain = await measureDrain(sluice.total, input.records, 600_000, env.stallMs);
    const check = checkCounts(await sluice.counts(), input.keys, input.perKey);
    return { peer: `sluice-${options.sink}`, drain, ...check };
  } finally {
    await sluice.stop();
  }
}
