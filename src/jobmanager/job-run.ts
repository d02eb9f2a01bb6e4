// One run of the job, start to verified finish: make sure the topic exists, fix where the run
// starts (the topic's end), start the JobManager and its TaskManagers, wait for the partitions to
// be distributed, write the input (Kafka or Redis mode), watch the counter reach N, stop everything
// and check the result. Exit status and summary come from the JobResult, never from hope.

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckpointStats } from '../checkpoint/checkpoint-coordinator.js';
import { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import { type CompletedCheckpoint, positionsOf } from '../checkpoint/completed-checkpoint.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { OutputVerifier } from '../connectors/kafka/output-verifier.js';
import { KafkaProducer } from '../connectors/kafka/producer.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { resetCounterSink } from '../connectors/redis/counter-sink.js';
import { describeVerdict, type IdVerdict, verifyIds } from '../connectors/redis/id-verifier.js';
import { connectRedis, createRedis } from '../connectors/redis/redis-client.js';
import { isSluiceError } from '../errors/sluice-error.js';
import type { EventLog } from '../logging/event-log.js';
import type { LineForwarder } from '../logging/log-forwarder.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { JobSpec } from '../protocol/messages.js';
import { monitorJob } from './job-monitor.js';
import { jobSpecFromConfig, newRunId } from './job-spec.js';
import { clusterSettings, LocalCluster } from './local-cluster.js';
import { produceKafkaMode, produceRedisMode } from './message-generator.js';
import { TaskManagerLauncher } from './taskmanager-launcher.js';
import type { OwnershipChange, TaskManagerView } from './taskmanager-registry.js';

export interface JobRunOptions {
  config: SluiceConfig;
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

export async function runJob(options: JobRunOptions): Promise<JobResult> {
  const { config, events } = options;
  const runId = newRunId();
  // The start positions are known once the topic's end is read; until then, the spec names things.
  let job = jobSpecFromConfig(config, runId);
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
    deadLetterTopic: job.deadLetterTopic,
    sink: job.sink.kind === 'kafka' ? `kafka:${job.sink.topic}` : `redis:${job.counterKey}`,
    logDir,
  };
  const kafka = { bootstrapServers: config.kafka.bootstrapServers, security: config.kafka.security };
  const admin = KafkaAdmin.create({ ...kafka, clientId: 'sluice-jobmanager' });
  const redis = createRedis(config.redis, { connectionName: 'sluice-jobmanager' });
  let cluster: LocalCluster | undefined;
  let producer: KafkaProducer | undefined;
  let verifier: OutputVerifier | undefined;
  try {
    await connectRedis(redis, config.redis, 'the JobManager');
    await admin.ensureTopic(job.topic, job.partitions);
    await admin.createTopic(job.deadLetterTopic, job.partitions);
    await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, topic: job.topic, events });

    // The run reads what is written after this point, and counts from zero.
    const starts = await admin.endOffsets(job.topic, job.partitions);
    job = jobSpecFromConfig(
      config,
      runId,
      [...starts.keys()].sort((a, b) => a - b).map((p) => starts.get(p) ?? 0),
    );
    result.startPositions = [...job.startPositions];
    await resetCounterSink(redis, job.counterKey, starts);
    if (job.sink.kind === 'kafka') {
      const output = job.sink.topic;
      await admin.ensureTopic(output, job.partitions);
      await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, topic: output, events });
      verifier = await OutputVerifier.start({
        ...kafka,
        topic: output,
        startOffsets: await admin.endOffsets(output, job.partitions),
        expected: config.job.numMessages,
        parse: (value) => JSON.parse(String(value)) as { id: number; producedAt?: number },
      });
    }
    if (mode === 'redis') await redis.set(config.job.globalSequenceKey, 0);

    const store = new CheckpointStore(redis, { groupId: job.groupId, topic: job.topic });
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
      job: job.jobName,
    });
    const ids = TaskManagerLauncher.ids(config.runtime.taskManagers);
    options.status?.(`starting ${ids.length} TaskManagers`);
    cluster.launch(ids);
    await cluster.waitForRegistered(ids, 90_000);

    const total = config.job.numMessages;
    let monitorDone = false;
    let produceStart = Date.now();
    // Connected up front, so the input starts the moment it is asked to.
    producer = await KafkaProducer.connect({ ...kafka, clientId: 'sluice-jobmanager-source' });
    const source = producer;
    const produce = async (): Promise<void> => {
      produceStart = Date.now();
      const common = {
        producer: source,
        topic: job.topic,
        partitions: job.partitions,
        total,
        shouldStop: () => monitorDone,
        ratePerSecond: config.runtime.produceRate,
      };
      await (mode === 'kafka'
        ? produceKafkaMode(common)
        : produceRedisMode({ ...common, redis, sequenceKey: config.job.globalSequenceKey }));
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
      partitions: job.partitions,
    });
    const runStart = Date.now();

    const producing = options.backlog ? Promise.resolve() : produce();
    producing.catch(() => {});
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
        : async () => Number((await redis.get(job.counterKey)) ?? 0),
      source: activeVerifier
        ? { kind: 'kafka', name: job.sink.kind === 'kafka' ? job.sink.topic : '' }
        : { kind: 'redis', name: job.counterKey },
      total,
      events,
      timeoutMs: config.runtime.jobTimeoutMs,
      onCount: (count) => {
        lastCount = count;
        options.status?.(progressBar(count, total));
      },
      abortReason: () =>
        options.abortReason?.() ??
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
      await finalCheckpoint(cluster, admin, job, result);
    }
    const stats = cluster.jobManager.checkpoints?.stats;
    if (stats) result.checkpoints = stats;
  } catch (error) {
    result.failures.push(isSluiceError(error) ? error.message : String(error));
  } finally {
    options.status?.('stopping TaskManagers');
    await producer?.close().catch(() => {});
    await cluster?.shutdown().catch(() => {});
    // Final per-TaskManager totals come with their last heartbeat, sent as they stop.
    if (cluster) {
      result.restarts = [...cluster.restarts];
      // Processing time: from the first batch any TaskManager applied to the last one (final heartbeats).
      const applied = cluster.registry.list();
      const first = Math.min(...applied.map((t) => t.firstAppliedAt ?? Number.POSITIVE_INFINITY));
      const last = Math.max(...applied.map((t) => t.lastAppliedAt ?? 0));
      if (Number.isFinite(first) && last >= first) result.drainMs = last - first;
      result.deadLettered = cluster.registry.list().reduce((n, t) => n + t.deadLettered, 0);
      const latency = new LatencyHistogram();
      for (const buckets of cluster.registry.latencyHistograms()) latency.merge(buckets);
      if (latency.count > 0 && !verifier) {
        result.latency = {
          count: latency.count,
          p50: latency.percentile(50) ?? 0,
          p99: latency.percentile(99) ?? 0,
          max: latency.percentile(100) ?? 0,
          visibleIn: verifier ? 'kafka' : 'redis',
        };
      }
      const final = new Map(cluster.registry.list().map((t) => [t.id, t]));
      result.snapshot = result.snapshot.map((t) => {
        const last = final.get(t.id);
        return last ? { ...t, consumed: last.consumed, rssBytes: Math.max(t.rssBytes, last.rssBytes) } : t;
      });
    }
    // Verify after everyone stopped: a late or duplicate write would show here.
    if (verifier) {
      await settleVerifier(verifier, result.expected);
      await verifier.stop();
      result.counter = verifier.distinct;
      result.ids = verifier.verdict();
      const latency = verifier.latency;
      if (latency.count > 0) {
        result.latency = {
          count: latency.count,
          p50: latency.percentile(50) ?? 0,
          p99: latency.percentile(99) ?? 0,
          max: latency.percentile(100) ?? 0,
          visibleIn: 'kafka',
        };
      }
      if (!result.ids.ok) result.failures.push(describeVerdict(result.ids));
    } else result.counter = Number((await redis.get(job.counterKey).catch(() => null)) ?? 0);
    if (job.trackIds && !verifier) {
      const ids = await verifyIds(redis, job.counterKey, result.expected).catch(() => undefined);
      if (ids) {
        result.ids = ids;
        if (!ids.ok) result.failures.push(describeVerdict(ids));
      }
    }
    result.verified = result.failures.length === 0 && result.counter === result.expected;
    if (result.failures.length === 0 && !result.verified) {
      result.failures.push(`the counter is ${result.counter}, expected exactly ${result.expected}`);
    }
    if (!result.verified) {
      events.emit({
        type: 'job.failed',
        reason: result.failures.join('; '),
        count: result.counter,
        total: result.expected,
      });
    }
    admin.close();
    redis.disconnect();
  }
  return result;
}

/**
 * A last checkpoint once the counter reached N, and the proof that offsets follow checkpoints: the
 * group's committed offsets, read back through the Admin API, equal that checkpoint's positions.
 */
async function finalCheckpoint(
  cluster: LocalCluster,
  admin: KafkaAdmin,
  job: JobSpec,
  result: JobResult,
): Promise<void> {
  const coordinator = cluster.jobManager.checkpoints;
  if (!coordinator) return;
  let checkpoint: CompletedCheckpoint | undefined;
  for (let attempt = 0; attempt < 5 && !checkpoint; attempt++)
    checkpoint = await coordinator.triggerCheckpoint();
  if (!checkpoint) {
    result.failures.push('no checkpoint completed after the counter reached N');
    return;
  }
  result.finalCheckpoint = checkpoint;
  const id = checkpoint.id;
  const owners = () => cluster.registry.connected().filter((t) => t.partitions.length > 0);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !owners().every((t) => t.lastCommittedCheckpoint >= id)) await sleep(100);
  const expected = positionsOf(checkpoint);
  let committed = new Map<number, number>();
  // The commit is asynchronous in the consumer: read until it shows (or the deadline says it never will).
  while (Date.now() < deadline) {
    committed = await admin.committedOffsets(job.groupId, job.topic, job.partitions);
    if ([...expected].every(([p, o]) => committed.get(p) === o)) break;
    await sleep(200);
  }
  result.committedOffsets = Object.fromEntries(committed);
  const mismatched = [...expected].filter(([p, o]) => committed.get(p) !== o);
  if (mismatched.length > 0) {
    result.failures.push(
      `committed offsets differ from checkpoint ${id}: ${mismatched.map(([p, o]) => `partition ${p} committed ${committed.get(p)}, checkpoint ${o}`).join('; ')}`,
    );
  }
}

/** Lets the output reader catch up with what the stopped TaskManagers committed last. */
async function settleVerifier(verifier: OutputVerifier, expected: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    if (verifier.records !== last) {
      last = verifier.records;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > (verifier.distinct >= expected ? 1500 : 4000)) return;
    await sleep(100);
  }
}

function progressBar(count: number, total: number): string {
  const width = 30;
  const ratio = total === 0 ? 1 : Math.min(1, count / total);
  const filled = Math.round(ratio * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${count}/${total} (${(ratio * 100).toFixed(1)}%)`;
}
