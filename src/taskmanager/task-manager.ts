// A TaskManager process: one member of the job's consumer group. It loads the job (its own copy,
// checked against the JobManager's build), registers, waits for Kafka, joins the group when told,
// runs one task per assigned partition (runtime/), reports its load in the seed's lines and to the
// JobManager, and leaves the group cleanly when stopped. Wiring and lifecycle only.

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Secret } from '../config/secret.js';
import type { KafkaSecurity, RedisConfig } from '../config/sluice-config.js';
import { ChangelogReader } from '../connectors/kafka/changelog-reader.js';
import type { KafkaConnection } from '../connectors/kafka/client-config.js';
import { disconnectConsumer } from '../connectors/kafka/consumer.js';
import { DeadLetterQueue } from '../connectors/kafka/dead-letter-queue.js';
import type { KafkaConsumer } from '../connectors/kafka/rdkafka.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import type { TransactionalSessionFactory } from '../connectors/kafka/transactional-producer.js';
import { connectRedis, createRedis } from '../connectors/redis/redis-client.js';
import type { SinkConnector } from '../connectors/sink-connector.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { EventLog } from '../logging/event-log.js';
import type { JobPlan } from '../plan/job-plan.js';
import { planJob } from '../plan/job-plan.js';
import { TaskSlots } from '../plan/task-slots.js';
import type { JobSpec } from '../protocol/messages.js';
import { CheckpointParticipant } from '../runtime/checkpoint-participant.js';
import { type CompiledStage, compileStage } from '../runtime/compile-stage.js';
import { ConsumeLoop } from '../runtime/consume-loop.js';
import { type LoadedJob, loadJobFile } from '../runtime/job-file.js';
import { RebalanceListener } from '../runtime/rebalance-listener.js';
import { bindSinks } from '../runtime/sink-bindings.js';
import type { TaskStateBackend } from '../runtime/state/task-state-backend.js';
import { TaskLeaseStore } from '../runtime/task-lease-store.js';
import { TaskRegistry } from '../runtime/task-registry.js';
import { connectGroupConsumer } from './group-consumer.js';
import { type ConnectionTimings, JobManagerConnection } from './jobmanager-connection.js';
import { LoadStatus } from './load-status.js';
import type { LoopWatchdog } from './loop-watchdog.js';
import { ownershipLostError } from './ownership-lost.js';
import { taskStateBackend } from './task-state.js';
import { TaskWatch } from './task-watch.js';
import { WorkReport } from './work-report.js';

export interface TaskManagerOptions {
  taskManagerId: string;
  jobManagerUrl: string;
  events: EventLog;
  /**
   * The job file this host runs (`--job`): its build must be the JobManager's. Without it, the file
   * the JobManager names is loaded and checked here (the same path on this host).
   */
  jobFile?: string | undefined;
  heartbeatIntervalMs?: number;
  /**
   * Addresses as seen from this host, when they differ from the JobManager's (another network, a
   * load balancer): they replace the job's own. Connection secrets never travel in the job.
   */
  connections?: { bootstrapServers?: string | undefined; redisUrl?: string | undefined };
  /**
   * This process's credentials and TLS settings, from its own environment: the job says where Kafka
   * and Redis are, never how to log in (it travels over a plain WebSocket and shows in the REST API).
   */
  security: { kafka: KafkaSecurity; redis: Omit<RedisConfig, 'url'>; cluster?: Secret | undefined };
  /** librdkafka debug contexts for this TaskManager's Kafka clients (SLUICE_KAFKA_DEBUG). */
  kafkaDebug?: string | undefined;
  timings?: Partial<ConnectionTimings>;
  /** How Kafka sinks make transactional producers (tests wrap them to inject failures). */
  kafkaSessions?: TransactionalSessionFactory;
  /** Where this TaskManager keeps its tasks' local state (default .sluice/state under the working directory). */
  stateDir?: string;
  /** Told of each batch handed to a task, to name it if the event loop stalls in it (loop-watchdog.ts). */
  watchdog?: Pick<LoopWatchdog, 'running' | 'watch'> | undefined;
  /** This process cannot go on (see ownership-lost.ts): `run()` rejects with it; the CLI bounds the close. */
  onFatal?: (error: SluiceError) => void;
}

export class TaskManager {
  readonly #o: TaskManagerOptions;
  readonly #id: string;
  readonly #clientId: string;
  #jm: JobManagerConnection | undefined;
  #consumer: KafkaConsumer | undefined;
  #connectors: SinkConnector[] = [];
  #dlq: DeadLetterQueue | undefined;
  #redis: Redis | undefined;
  #registry: TaskRegistry | undefined;
  #listener: RebalanceListener | undefined;
  #loop: ConsumeLoop | undefined;
  #checkpoints: CheckpointParticipant | undefined;
  readonly #report: WorkReport;
  readonly #load: LoadStatus;
  #stopping = false;
  #fatal: SluiceError | undefined;
  #startSignal: (() => void) | undefined;
  #stopSignal: (() => void) | undefined;
  #lastConsumeError: string | undefined;
  #lastConsumeErrorAt = 0;
  #subscribed = false;
  #reader: Promise<ChangelogReader> | undefined;
  /** Tasks that cannot move on (stalled on a call, or blocked by one that keeps failing) say so. */
  readonly #taskWatch: TaskWatch;

  constructor(options: TaskManagerOptions) {
    this.#o = options;
    this.#id = options.taskManagerId;
    this.#clientId = `sluice-${options.taskManagerId}`;
    this.#load = new LoadStatus(options.events, options.taskManagerId);
    this.#report = new WorkReport(options.events, options.taskManagerId);
    this.#taskWatch = new TaskWatch(options.events, options.taskManagerId, (line) =>
      this.#consumeError(line),
    );
  }

  /** Runs until stopped; resolves when the TaskManager has left the group and closed everything. */
  async run(): Promise<void> {
    const events = this.#o.events;
    const started = new Promise<void>((resolve) => {
      this.#startSignal = resolve;
    });
    const stopRequested = new Promise<void>((resolve) => {
      this.#stopSignal = resolve;
      if (this.#stopping) resolve();
    });
    // A job given here is loaded first: a bad file stops the process before it registers.
    const given = this.#o.jobFile ? await loadJobFile(this.#o.jobFile) : undefined;
    this.#jm = await this.#connect(given);
    const job = withConnections(this.#jm.job, this.#o.connections);
    // Time passes for tasks that keep an event clock: timers fire, idle inputs move their watermark.
    const ticker = setInterval(() => this.#registry?.tick(), 200);
    const heartbeat = setInterval(() => {
      if (this.#consumer && !this.#stopping) this.#listener?.reviveFenced(this.#consumer);
      this.#taskWatch.check(this.#registry?.tasks() ?? []);
      this.#heartbeat();
      // A progress line when records keep coming but no threshold was crossed for a while.
      this.#report.tick();
    }, this.#o.heartbeatIntervalMs ?? 1000);
    try {
      const loaded = given ?? (await this.#loadNamedJob(job));
      if (this.#jm.subscribeNow) this.#startSignal?.();
      await waitForKafka({
        bootstrapServers: job.bootstrapServers,
        security: this.#o.security.kafka,
        timeoutMs: job.kafkaWaitTimeoutMs,
        ...(job.sources[0] ? { topic: job.sources[0].topic } : {}),
        events,
      });
      if (this.#stopping) return;
      await this.#setUp(job, loaded);
      await Promise.race([started, stopRequested]);
      if (!this.#stopping) this.#subscribe(job);
      await this.#loop?.run();
      if (this.#fatal) {
        // A consumer that missed its revocation has nothing to hand over: closed, not left gracefully.
        if (this.#consumer) await disconnectConsumer(this.#consumer, 5000);
        throw this.#fatal;
      }
      await this.#leaveGroup();
    } finally {
      clearInterval(heartbeat);
      clearInterval(ticker);
      this.#report.flush();
      events.emit({
        type: 'taskmanager.source_completed',
        taskManagerId: this.#id,
        consumed: this.#registry?.totalConsumed() ?? 0,
      });
      this.#heartbeat();
      for (const connector of this.#connectors) await connector.close().catch(() => {});
      await this.#dlq?.close().catch(() => {});
      await (await this.#reader?.catch(() => undefined))?.close().catch(() => {});
      this.#redis?.disconnect();
      await this.#jm.close();
    }
  }

  /**
   * This process cannot go on: it closes its consumer (its partitions move at once) and `run()`
   * rejects with the error; the CLI bounds the close and exits with the error's code.
   */
  #giveUp(error: SluiceError): void {
    if (this.#fatal) return;
    this.#fatal = error;
    this.#o.onFatal?.(error);
    this.stop();
  }

  /** Asks for a graceful stop: finish the batch in flight, hand partitions over, leave the group. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#load.stopping();
    this.#stopSignal?.();
  }

  #connect(job: LoadedJob | undefined): Promise<JobManagerConnection> {
    const events = this.#o.events;
    return JobManagerConnection.connect(
      this.#o.jobManagerUrl,
      {
        taskManagerId: this.#id,
        pid: process.pid,
        host: os.hostname(),
        clientId: this.#clientId,
        ...(job ? { job: { name: job.definition.name, file: job.file, buildHash: job.buildHash } } : {}),
      },
      {
        onStart: () => this.#startSignal?.(),
        onStop: () => this.stop(),
        onTriggerCheckpoint: (checkpointId) => void this.#checkpoints?.trigger(checkpointId, this.#id),
        onEndOfInput: () => this.#registry?.finish(),
        onCheckpointComplete: (checkpointId, offsets) =>
          void this.#checkpoints?.complete(checkpointId, offsets),
        onCheckpointAborted: (checkpointId) => this.#checkpoints?.abort(checkpointId),
        onMembership: (tasks) => {
          // A member the coordinator gives nothing: IDLE (unless an assignment is on its way to us).
          if (tasks.length === 0 && this.#registry?.size === 0 && !this.#listener?.busy) {
            this.#load.memberWithoutPartitions();
          }
        },
        onOwnershipLost: (notice) => this.#giveUp(ownershipLostError(this.#id, notice)),
        onDisconnected: (reason, graceMs) =>
          events.emit({
            type: 'taskmanager.jobmanager_disconnected',
            taskManagerId: this.#id,
            reason,
            graceMs,
          }),
        onReconnected: (downMs, subscribe) => {
          events.emit({ type: 'taskmanager.jobmanager_reconnected', taskManagerId: this.#id, downMs });
          // A JobManager rebuilds its registry from these: tell it at once what this one owns.
          this.#heartbeat();
          if (subscribe) this.#startSignal?.();
        },
        onLost: (reason) => {
          events.emit({ type: 'taskmanager.jobmanager_lost', taskManagerId: this.#id, reason });
          this.stop();
        },
      },
      this.#o.timings,
      this.#o.security.cluster,
    );
  }

  /** No --job given: the file the JobManager names, if this host has it, and only the same build. */
  /** The job's Kafka cluster as this TaskManager's clients reach it. */
  #kafka(job: JobSpec): KafkaConnection {
    return {
      bootstrapServers: job.bootstrapServers,
      security: this.#o.security.kafka,
      debug: this.#o.kafkaDebug,
    };
  }

  async #loadNamedJob(job: JobSpec): Promise<LoadedJob> {
    if (!existsSync(job.job.file)) {
      throw new SluiceError(
        'JOB_FILE_INVALID',
        `The JobManager runs job '${job.job.name}' from ${job.job.file}, which this host does not have. ` +
          'Fix: deploy the job here and pass its path with --job.',
      );
    }
    const loaded = await loadJobFile(job.job.file);
    if (loaded.buildHash !== job.buildHash) {
      throw new SluiceError(
        'JOBMANAGER_REJECTED',
        `This host's ${loaded.file} is build ${loaded.buildHash}, the JobManager runs build ${job.buildHash} of job ` +
          `'${job.job.name}'. Fix: deploy the same job code on every host.`,
      );
    }
    return loaded;
  }

  async #setUp(job: JobSpec, loaded: LoadedJob): Promise<void> {
    const events = this.#o.events;
    // Both sides read the parameters through the job's schema: the same texts, the same values.
    const plan = planJob(loaded.definition, job.parameters);
    const slots = new TaskSlots(job.sources.map((s) => ({ topic: s.topic, partitions: s.partitions })));
    const partitionsOf = new Map(job.sources.map((s) => [s.topic, s.partitions]));
    const stages = new Map<string, CompiledStage>();
    for (const stage of plan.stages) {
      const compiled = compileStage(plan, stage, { partitions: (topic) => partitionsOf.get(topic) ?? 1 });
      for (const topic of stage.topics) stages.set(topic, compiled);
    }
    const stateful = plan.stages.some((s) => s.steps.length > 0 || s.repartitions.length > 0);
    const redisConfig = { ...this.#o.security.redis, url: job.redisUrl };
    const redis = createRedis(redisConfig, {
      maxRetriesPerRequest: null,
      connectionName: `sluice-${this.#id}`,
    });
    this.#redis = redis;
    await connectRedis(redis, redisConfig, `TaskManager ${this.#id}`);
    const kafka = this.#kafka(job);
    this.#connectors = bindSinks(plan, {
      jobName: plan.name,
      taskManagerId: this.#id,
      groupId: job.groupId,
      runId: job.runId,
      redis: redisConfig,
      kafka,
      consumer: () => {
        if (!this.#consumer) throw new Error('the consumer is not connected yet');
        return this.#consumer;
      },
      ...(this.#o.kafkaSessions ? { kafkaSessions: this.#o.kafkaSessions } : {}),
      kafkaAlways: stateful,
    });
    for (const connector of this.#connectors) await connector.open();
    const dlq = await DeadLetterQueue.open({ ...kafka, topic: job.deadLetterTopic, taskManagerId: this.#id });
    this.#dlq = dlq;
    const starts = new Map(job.sources.map((s) => [s.topic, s.startPositions]));
    this.#registry = new TaskRegistry({
      slots,
      stage: (topic) => stages.get(topic) as CompiledStage,
      state: (task, stage) => this.#stateOf(job, plan, task, stage),
      caughtUp: (topic, partition, readTo) => {
        try {
          const end = this.#consumer?.getWatermarkOffsets(topic, partition).highOffset;
          return end !== undefined && end >= 0 && readTo >= end;
        } catch {
          return false;
        }
      },
      connectors: this.#connectors,
      leases: new TaskLeaseStore(redis, job.groupId),
      start: (topic, partition) => starts.get(topic)?.[partition] ?? -1,
      deadLetters: (letters) => dlq.send(letters),
      seek: (topic, partition, offset) => this.#consumer?.seek({ topic, partition, offset }, 0, () => {}),
      checkpointTimeoutMs: job.checkpointTimeoutMs,
      commitAtBarrier: job.checkpointCommit === 'per-task',
      ...(job.commitIntervalMs ? { commitIntervalMs: job.commitIntervalMs } : {}),
      ...(this.#o.watchdog ? { onRunning: this.#o.watchdog.running.bind(this.#o.watchdog) } : {}),
      onError: (task, what, error, attempt) => {
        if (attempt === 1 || attempt % 10 === 0) {
          events.emit({
            type: 'taskmanager.consume_error',
            taskManagerId: this.#id,
            error: `task ${task}: ${what} failed (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`,
          });
        }
      },
    });
    const registry = this.#registry;
    const report = this.#report;
    report.progressEvery(job.progressEvery);
    this.#listener = new RebalanceListener({
      taskManagerId: this.#id,
      pid: process.pid,
      registry,
      events,
      observer: {
        assigned: (tasks) => {
          this.#load.owned(registry.size);
          this.#o.watchdog?.watch(registry.size > 0);
          this.#jm?.send({ type: 'ownership', at: Date.now(), kind: 'assigned', tasks: [...tasks] });
          this.#heartbeat();
        },
        released: (kind, tasks) => {
          this.#load.owned(registry.size);
          this.#o.watchdog?.watch(registry.size > 0);
          this.#jm?.send({ type: 'ownership', at: Date.now(), kind, tasks: [...tasks] });
          this.#heartbeat();
        },
        nothingAssigned: () => this.#load.memberWithoutPartitions(),
      },
    });
    this.#consumer = await connectGroupConsumer({
      ...kafka,
      clientId: this.#clientId,
      groupId: job.groupId,
      groupProtocol: job.groupProtocol,
      rebalance: this.#listener.onRebalance,
      onError: (error, code) => this.#consumeError(error, code),
    });
    const consumer = this.#consumer;
    this.#loop = new ConsumeLoop({
      consumer,
      registry,
      batchSize: job.consumeBatch,
      stopping: () => this.#stopping,
      onPolled: (messages) => report.fetched(messages),
      onApplied: (task, result, records) =>
        report.applied(task, result.lastOffset, records, registry, (m) => this.#jm?.send(m)),
      onFenced: (task) => report.fenced(task),
      onError: (error, code) => this.#consumeError(error, code),
    });
    this.#checkpoints = new CheckpointParticipant({
      registry,
      consumer: () => this.#consumer,
      sinkCommitsOffsets: this.#connectors.some((c) => c.commitsOffsets),
      stopping: () => this.#stopping,
      acknowledge: (checkpointId, snapshots) =>
        this.#jm?.send({ type: 'checkpoint_ack', checkpointId, snapshots }),
      decline: (checkpointId, tasks, reason) =>
        this.#jm?.send({ type: 'checkpoint_decline', checkpointId, tasks, reason }),
      onError: (error) => this.#consumeError(error),
    });
  }

  /** A task of a stage with keyed steps gets a state backend (task-state.ts). */
  #stateOf(
    job: JobSpec,
    plan: JobPlan,
    task: { topic: string; partition: number },
    stage: CompiledStage,
  ): TaskStateBackend | undefined {
    return taskStateBackend(
      {
        taskManagerId: this.#id,
        stateDir: this.#o.stateDir ?? path.resolve('.sluice', 'state'),
        events: this.#o.events,
        reader: () => {
          this.#reader ??= ChangelogReader.connect({
            ...this.#kafka(job),
            clientId: `${this.#clientId}-restore`,
          });
          return this.#reader;
        },
        onDiskFailed: (error) => this.#giveUp(error),
      },
      { job, plan, task, stage },
    );
  }

  #subscribe(job: JobSpec): void {
    const consumer = this.#consumer;
    if (!consumer || this.#subscribed) return;
    this.#subscribed = true;
    const topics = job.sources.map((s) => s.topic);
    consumer.subscribe(topics);
    this.#load.joining();
    this.#o.events.emit({
      type: 'taskmanager.ready',
      taskManagerId: this.#id,
      topic: topics.join(', '),
      groupId: job.groupId,
      groupProtocol: job.groupProtocol,
      checkpointCommit: job.checkpointCommit ?? 'aligned',
    });
  }

  #consumeError(error: string, code?: number): void {
    // The same error repeats on every poll while it lasts: say it once, then every 10 s.
    const now = Date.now();
    if (error === this.#lastConsumeError && now - this.#lastConsumeErrorAt < 10_000) return;
    this.#lastConsumeError = error;
    this.#lastConsumeErrorAt = now;
    this.#o.events.emit({
      type: 'taskmanager.consume_error',
      taskManagerId: this.#id,
      error,
      ...(code === undefined ? {} : { code }),
    });
  }

  /**
   * Unsubscribing makes the consumer revoke every partition through the rebalance callback, which
   * is only served while we keep polling: poll until the registry is empty, then disconnect.
   */
  async #leaveGroup(): Promise<void> {
    const consumer = this.#consumer;
    const registry = this.#registry;
    const loop = this.#loop;
    if (!consumer || !registry || !loop) return;
    try {
      consumer.unsubscribe();
    } catch {
      // Not subscribed yet.
    }
    const deadline = Date.now() + 10_000;
    while ((registry.size > 0 || this.#listener?.busy) && Date.now() < deadline) await loop.poll(100);
    await this.#listener?.settled();
    await disconnectConsumer(consumer);
  }

  #heartbeat(): void {
    this.#jm?.send(
      this.#report.heartbeat(this.#load.status, this.#registry, this.#checkpoints?.lastCommitted ?? 0),
    );
  }
}

/** The job with this host's own view of where Kafka and Redis are. */
function withConnections(job: JobSpec, connections: TaskManagerOptions['connections']): JobSpec {
  return {
    ...job,
    bootstrapServers: connections?.bootstrapServers ?? job.bootstrapServers,
    redisUrl: connections?.redisUrl ?? job.redisUrl,
  };
}
