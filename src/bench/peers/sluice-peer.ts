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
  delivery?: 'exactly-once' | 'at-least-once';
  /** Start killed TaskManagers again (the failover benchmark keeps its pool). */
  restart?: boolean;
  registrationTimeoutMs?: number;
}

/** Starts the cluster and returns it ready (partitions distributed); the caller drives and shuts it down. */
export async function startSluice(env: BenchEnvironment, input: BenchInput, options: SluiceOptions) {
  const runId = newRunId();
  const counterKey = `sluice:bench:${runId}`;
  const output = `sluice-bench-out-${runId}`;
  const groupId = `sluice-bench-${runId}`;
  const prepared = await prepareJob(path.join(env.jobsDir, 'count-per-key.js'), {
    topic: input.topic,
    counterKey,
    sink: options.sink === 'kafka' ? `kafka:${output}` : 'redis',
    delivery: options.delivery ?? 'exactly-once',
  });
  const startPositions = Array.from({ length: input.partitions }, () => 0);
  const job = buildJobSpec(
    {
      kafka: { bootstrapServers: env.bootstrapServers, waitTimeoutMs: 60_000 },
      redis: { url: env.redisUrl },
      runtime: {
        groupProtocol: options.groupProtocol ?? 'consumer',
        progressEvery: 1_000_000_000,
        consumeBatch: 2000,
        checkpointTimeoutMs: 10_000,
      },
    },
    {
      ...prepared,
      runId,
      groupId,
      deadLetterTopic: `${input.topic}.dlq`,
      sources: [{ topic: input.topic, partitions: input.partitions, startPositions }],
    },
  );
  const redis = createRedis({ url: env.redisUrl });
  await redis.connect();
  await resetRun(redis, prepared.plan, groupId, runStarts([{ topic: input.topic, startPositions }]));
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: env.bootstrapServers,
    clientId: 'sluice-bench-admin',
  });
  await admin.createTopic(job.deadLetterTopic, input.partitions);
  let reader: KeyedOutputReader | undefined;
  if (options.sink === 'kafka') {
    await admin.ensureTopic(output, input.partitions);
    reader = await KeyedOutputReader.start({
      bootstrapServers: env.bootstrapServers,
      topic: output,
      partitions: input.partitions,
      mode: 'delta',
      decode: decodeDecimal,
    });
  }
  const store = new CheckpointStore(redis, groupId);
  const cluster = new LocalCluster({
    job,
    security: { kafka: PLAINTEXT, redis: { url: env.redisUrl } },
    jobManagerPort: 0,
    taskManagerCommand: env.taskManagerCommand,
    logDir: path.join(env.workDir, 'sluice', runId),
    events: new EventLog(createLogger({ format: 'json', level: 'silent' })),
    forwardLine: () => {},
    checkpointing: { intervalMs: options.checkpointIntervalMs ?? 100, timeoutMs: 10_000, store },
    restartOnCrash: options.restart === true,
  });
  await cluster.start();
  const ids = TaskManagerLauncher.ids(options.taskManagers ?? input.partitions);
  cluster.launch(ids);
  await cluster.waitForRegistered(ids, options.registrationTimeoutMs ?? 120_000);
  cluster.jobManager.startGroup();
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
  return { cluster, job, total, counts, position, stop };
}

export async function runSluice(
  env: BenchEnvironment,
  input: BenchInput,
  options: SluiceOptions,
): Promise<PeerResult> {
  const sluice = await startSluice(env, input, options);
  try {
    const drain = await measureDrain(sluice.total, input.records, 600_000);
    const check = checkCounts(await sluice.counts(), input.keys, input.perKey);
    return { peer: `sluice-${options.sink}`, drain, ...check };
  } finally {
    await sluice.stop();
  }
}
