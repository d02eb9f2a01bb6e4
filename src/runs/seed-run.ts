// The seed's verified run of its job (`npm start`, the stress and reliability tests): make sure the
// topic exists, fix where the run starts (the topic's end), start the JobManager and its
// TaskManagers running the seed's job file, wait for the partitions to be distributed, write the
// input (Kafka or Redis mode), watch the counter reach N, stop everything and check the result.
// A harness around an ordinary job: exit status and summary come from the JobResult, never from hope.

import path from 'node:path';
import type { CheckpointStats } from '../checkpoint/checkpoint-coordinator.js';
import { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { OutputVerifier } from '../connectors/kafka/output-verifier.js';
import { KafkaProducer } from '../connectors/kafka/producer.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import type { IdVerdict } from '../connectors/redis/id-verifier.js';
import { connectRedis, createRedis } from '../connectors/redis/redis-client.js';
import { isSluiceError } from '../errors/sluice-error.js';
import { monitorJob } from '../jobmanager/job-monitor.js';
import { buildJobSpec, newRunId } from '../jobmanager/job-spec.js';
import { clusterSettings, LocalCluster } from '../jobmanager/local-cluster.js';
import { prepareJob } from '../jobmanager/prepared-job.js';
import { TaskManagerLauncher } from '../jobmanager/taskmanager-launcher.js';
import type { OwnershipChange, TaskManagerView } from '../jobmanager/taskmanager-registry.js';
import type { EventLog } from '../logging/event-log.js';
import type { LineForwarder } from '../logging/log-forwarder.js';
import { resetRun, runStarts } from '../runtime/run-reset.js';
import { produceKafkaMode, produceRedisMode } from './input-writer.js';
import { collectFigures, finalCheckpoint, verify } from './seed-verdict.js';

export interface JobRunOptions {
  config: SluiceConfig;
  /** The seed's job file (jobs/flinkdotnet-sample.ts, compiled), or another with the same parameters. */
  jobFile: string;
  events: EventLog;
  forwardLine: LineForwarder;
  taskManagerCommand: readonly string[];
  /** Where this run's TaskManager logs go. */
  runsDir: string;
  /** A live status text (progress bar) for a terminal. */
  status?: (text: string) => void;
  /** A reason to stop the run early (Ctrl-C), checked while the job runs. */
  abortReason?: () => string | undefined;
  /**
   * Runs while the input is written and counted (fault injection: the reliability test kills
   * TaskManagers, restarts the broker...). The run waits for it before its final checkpoint.
   */
  duringRun?: (context: RunContext) => Promise<void>;
  /** Write the whole input before the group starts (benchmarks: processing measured alone). */
  backlog?: boolean;
}

export interface RunContext {
  cluster: LocalCluster;
  /** Milliseconds since the input started. */
  elapsed: () => number;
  /** When the input started (epoch ms). */
  inputStartedAt: () => number;
  /** When the group was told to start (epoch ms): distribution begins here. */
  groupStartedAt: number;
  /** The counter's last reading. */
  count: () => number;
  /** True once the run stopped watching the counter (reached N, failed or was aborted). */
  done: () => boolean;
}

export interface JobResult {
  runId: string;
  mode: 'kafka' | 'redis';
  expected: number;
  counter: number;
  verified: boolean;
  failures: string[];
  taskManagers: number;
  /** From telling the group to start to every partition owned, TaskManagers ACTIVE or IDLE. */
  distributionMs?: number;
  /** Writing the N input records. */
  produceMs?: number;
  /** Input records the broker acknowledged (fewer than expected when writing the input failed). */
  inputAcknowledged?: number;
  /** From the first batch applied to the last (heartbeats; ±1 s): processing throughput is N / drainMs. */
  drainMs?: number;
  /** From the first record written to the counter reaching N. */
  processingMs?: number;
  /** TaskManagers as they were when the counter reached N (before they were stopped). */
  snapshot: TaskManagerView[];
  /** Ownership changes after distribution: none are expected in a run without faults. */
  rebalancesDuringRun: OwnershipChange[];
  checkpoints?: CheckpointStats;
  /** The checkpoint taken after the counter reached N, whose offsets were committed to Kafka. */
  finalCheckpoint?: CompletedCheckpoint;
  /** The group's committed offsets (Admin API) after the final checkpoint, by partition. */
  committedOffsets?: Record<number, number>;
  /** Every id 1..N applied exactly once, from the sink's id record (when ids are tracked). */
  ids?: IdVerdict;
  /**
   * End-to-end latency: input record created → its result visible (in Redis, measured by the
   * TaskManagers; or to a read_committed reader of the output topic, measured by that reader).
   */
  latency?: { count: number; p50: number; p99: number; max: number; visibleIn: 'redis' | 'kafka' };
  /** TaskManagers that died without being asked to, and were started again. */
  restarts: { id: string; at: number; pid: number }[];
  /** Each partition's position when the run started (index = partition). */
  startPositions: number[];
  /** Where results went: redis:<counter key> or kafka:<output topic>. */
  sink: string;
  /** Records sent to the dead-letter topic (all TaskManagers). */
  deadLettered: number;
  deadLetterTopic: string;
  /** What duringRun threw, if anything. */
  faultError?: string;
  logDir: string;
}

/** The seed's settings as the seed job's parameters. */
export function seedParameters(config: SluiceConfig): Record<string, string> {
  const { job } = config;
  return {
    topic: job.topic,
    counterKey: job.sinkCounterKey,
    sink: job.sink.kind === 'kafka' ? `kafka:${job.sink.topic}` : 'redis',
    trackIds: String(job.trackIds),
    delivery: job.delivery,
  };
}

export async function runJob(options: JobRunOptions): Promise<JobResult> {
  const { config, events } = options;
  const runId = newRunId();
  const topic = config.job.topic;
  const partitions = config.job.partitions;
  const groupId = config.job.consumerGroup;
  const deadLetterTopic = config.job.deadLetterTopic;
  const logDir = path.join(options.runsDir, runId);
  const mode = config.job.useKafkaSource ? 'kafka' : 'redis';
  const result: JobResult = {
    runId,
    mode,
    expected: config.job.numMessages,
    counter: 0,
    verified: false,
    failures: [],
    taskManagers: config.runtime.taskManagers,
    snapshot: [],
    rebalancesDuringRun: [],
    restarts: [],
    deadLettered: 0,
    startPositions: [],
    deadLetterTopic,
    sink:
      config.job.sink.kind === 'kafka'
        ? `kafka:${config.job.sink.topic}`
        : `redis:${config.job.sinkCounterKey}`,
    logDir,
  };
  const kafka = {
    bootstrapServers: config.kafka.bootstrapServers,
    security: config.kafka.security,
    debug: config.kafka.debug,
  };
  const admin = KafkaAdmin.create({ ...kafka, clientId: 'sluice-jobmanager' });
  const redis = createRedis(config.redis, { connectionName: 'sluice-jobmanager' });
  let cluster: LocalCluster | undefined;
  let producer: KafkaProducer | undefined;
  let verifier: OutputVerifier | undefined;
  try {
    const prepared = await prepareJob(options.jobFile, seedParameters(config));
    await connectRedis(redis, config.redis, 'the JobManager');
    await admin.ensureTopic(topic, partitions);
    await admin.createDeadLetterTopic(deadLetterTopic, partitions);
    await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, topic, events });

    // The run reads what is written after this point, and counts from zero.
    const ends = await admin.endOffsets(topic, partitions);
    const startPositions = Array.from({ length: partitions }, (_, p) => ends.get(p) ?? 0);
    result.startPositions = [...startPositions];
    await resetRun(redis, prepared.plan, groupId, runStarts([{ topic, startPositions }]));
    const job = buildJobSpec(config, {
      ...prepared,
      runId,
      groupId,
      deadLetterTopic,
      sources: [{ topic, partitions, startPositions }],
    });
    if (config.job.sink.kind === 'kafka') {
      const output = config.job.sink.topic;
      await admin.ensureTopic(output, partitions);
      await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, topic: output, events });
      verifier = await OutputVerifier.start({
        ...kafka,
        topic: output,
        startOffsets: await admin.endOffsets(output, partitions),
        expected: config.job.numMessages,
        parse: (value) => JSON.parse(String(value)) as { id: number; producedAt?: number },
      });
    }
    if (mode === 'redis') await redis.set(config.job.globalSequenceKey, 0);

    const store = new CheckpointStore(redis, groupId);
    const previous = await store.latest();
    cluster = new LocalCluster({
      job,
      ...clusterSettings(config, store, previous),
      taskManagerCommand: options.taskManagerCommand,
      logDir,
      events,
      forwardLine: options.forwardLine,
    });
    const url = await cluster.start();
    events.emit({
      type: 'jobmanager.started',
      url,
      taskManagers: config.runtime.taskManagers,
      job: job.job.name,
    });
    const ids = TaskManagerLauncher.ids(config.runtime.taskManagers);
    options.status?.(`starting ${ids.length} TaskManagers`);
    cluster.launch(ids);
    await cluster.waitForRegistered(ids, 90_000);

    const total = config.job.numMessages;
    let monitorDone = false;
    let produceStart = Date.now();
    // Connected up front, so the input starts the moment it is asked to.
    producer = await KafkaProducer.connect({
      ...kafka,
      clientId: 'sluice-jobmanager-source',
      // A broker that takes nothing for as long as Sluice waits for Kafka fails the run, with a message.
      queueFullLimitMs: config.kafka.waitTimeoutMs,
    });
    const source = producer;
    const produce = async (): Promise<void> => {
      produceStart = Date.now();
      const common = {
        producer: source,
        topic,
        partitions,
        total,
        shouldStop: () => monitorDone,
        ratePerSecond: config.runtime.produceRate,
      };
      await (mode === 'kafka'
        ? produceKafkaMode(common)
        : produceRedisMode({
            ...common,
            redis,
            sequenceKey: config.job.globalSequenceKey,
            retryForMs: config.kafka.waitTimeoutMs,
            onRetry: (detail, resumed) => options.events.emit({ type: 'job.input_waiting', detail, resumed }),
          }));
      result.produceMs = Date.now() - produceStart;
    };
    // Backlog: the whole input is written before the group starts, so draining it measures processing alone.
    if (options.backlog) {
      options.status?.(`writing ${total} input records first (backlog)`);
      await produce();
    }

    const groupStart = Date.now();
    options.status?.('waiting for the partitions to be distributed');
    cluster.jobManager.startGroup();
    const distributed = await cluster.waitForDistribution(60_000, ids.length);
    result.distributionMs = Date.now() - groupStart;
    const active = distributed.filter((t) => t.status === 'ACTIVE').length;
    events.emit({
      type: 'jobmanager.distribution_complete',
      elapsedMs: result.distributionMs,
      active,
      idle: distributed.length - active,
      partitions,
    });
    const runStart = Date.now();

    const producing = options.backlog ? Promise.resolve() : produce();
    // A writer that failed ends the run at once: what it did not write can never be counted.
    let inputFailure: string | undefined;
    producing.catch((error: unknown) => {
      inputFailure = `the input could not be written: ${isSluiceError(error) || error instanceof Error ? error.message : String(error)}`;
    });
    const activeCluster = cluster;
    let lastCount = 0;
    const faults = options.duringRun?.({
      cluster,
      elapsed: () => Date.now() - produceStart,
      inputStartedAt: () => produceStart,
      groupStartedAt: groupStart,
      count: () => lastCount,
      done: () => monitorDone,
    });
    const faultsDone = (faults ?? Promise.resolve()).catch((error: unknown) => {
      result.faultError = error instanceof Error ? error.message : String(error);
    });
    const activeVerifier = verifier;
    const monitor = await monitorJob({
      read: activeVerifier
        ? async () => activeVerifier.distinct
        : async () => Number((await redis.get(config.job.sinkCounterKey)) ?? 0),
      source: activeVerifier
        ? { kind: 'kafka', name: config.job.sink.kind === 'kafka' ? config.job.sink.topic : '' }
        : { kind: 'redis', name: config.job.sinkCounterKey },
      total,
      events,
      timeoutMs: config.runtime.jobTimeoutMs,
      onCount: (count) => {
        lastCount = count;
        options.status?.(progressBar(count, total));
      },
      abortReason: () =>
        options.abortReason?.() ??
        inputFailure ??
        (activeCluster.registry.connected().length === 0 ? 'every TaskManager has stopped' : undefined),
    });
    monitorDone = true;
    await producing;
    await faultsDone;
    if (result.faultError) result.failures.push(`fault injection failed: ${result.faultError}`);
    result.processingMs = monitor.elapsedMs;
    // Who was doing what when the counter reached N (or when the run gave up).
    result.snapshot = monitor.completed ? cluster.registry.connected() : cluster.registry.list();
    result.rebalancesDuringRun = cluster.registry.timeline(runStart);
    cluster.jobManager.jobEnded(
      monitor.completed ? 'FINISHED' : options.abortReason?.() !== undefined ? 'CANCELED' : 'FAILED',
    );
    if (!monitor.completed) result.failures.push(monitor.reason ?? 'the counter did not reach N');
    else {
      events.emit({ type: 'job.completed', count: monitor.count, elapsedSeconds: monitor.elapsedMs / 1000 });
      options.status?.('final checkpoint');
      await finalCheckpoint(cluster, admin, groupId, result);
    }
    const stats = cluster.jobManager.checkpoints?.stats;
    if (stats) result.checkpoints = stats;
  } catch (error) {
    result.failures.push(isSluiceError(error) ? error.message : String(error));
  } finally {
    options.status?.('stopping TaskManagers');
    result.inputAcknowledged = producer?.delivered ?? 0;
    await producer?.close().catch(() => {});
    await cluster?.shutdown().catch(() => {});
    // Final per-TaskManager totals come with their last heartbeat, sent as they stop.
    if (cluster) collectFigures(cluster, result, verifier !== undefined);
    // Verify after everyone stopped: a late or duplicate write would show here.
    await verify({ result, verifier, redis, config, events });
    admin.close();
    redis.disconnect();
  }
  return result;
}

function progressBar(count: number, total: number): string {
  const width = 30;
  const ratio = total === 0 ? 1 : Math.min(1, count / total);
  const filled = Math.round(ratio * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${count}/${total} (${(ratio * 100).toFixed(1)}%)`;
}
