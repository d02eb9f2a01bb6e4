// A TaskManager process: one member of the job's consumer group. It registers with the JobManager,
// waits for Kafka, joins the group when told, runs one task per assigned partition, reports its
// load in the seed's lines and to the JobManager, and leaves the group cleanly when stopped.

import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sink } from '../api/sink.js';
import type { SourceRecord } from '../api/source-record.js';
import type { KafkaSecurity, RedisConfig } from '../config/sluice-config.js';
import { describeKafkaError } from '../connectors/kafka/client-config.js';
import { connectConsumer, disconnectConsumer } from '../connectors/kafka/consumer.js';
import { DeadLetterQueue } from '../connectors/kafka/dead-letter-queue.js';
import type { KafkaConsumer, Message } from '../connectors/kafka/rdkafka.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { loadJob } from '../jobs/job-catalog.js';
import type { EventLog } from '../logging/event-log.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { JobSpec, TaskManagerMessage } from '../protocol/messages.js';
import { type ConnectionTimings, JobManagerConnection } from './jobmanager-connection.js';
import { LoadStatus } from './load-status.js';
import { ProgressReporter } from './progress-reporter.js';
import { RebalanceListener } from './rebalance-listener.js';
import type { BatchResult } from './task.js';
import { TaskRegistry } from './task-registry.js';

export interface TaskManagerOptions {
  taskManagerId: string;
  jobManagerUrl: string;
  events: EventLog;
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
  security: { kafka: KafkaSecurity; redis: Omit<RedisConfig, 'url'> };
  timings?: Partial<ConnectionTimings>;
}

export class TaskManager {
  readonly #o: TaskManagerOptions;
  readonly #id: string;
  readonly #clientId: string;
  #jm: JobManagerConnection | undefined;
  #consumer: KafkaConsumer | undefined;
  #sink: Sink<unknown> | undefined;
  #dlq: DeadLetterQueue | undefined;
  #registry: TaskRegistry | undefined;
  #listener: RebalanceListener | undefined;
  #progress: ProgressReporter | undefined;
  readonly #load: LoadStatus;
  #stopping = false;
  #startSignal: (() => void) | undefined;
  #stopSignal: (() => void) | undefined;
  #lastConsumeError = '';
  #lastConsumeErrorAt = 0;
  #lastCommittedCheckpoint = 0;
  #subscribed = false;
  readonly #latency = new LatencyHistogram();
  /** Tasks that applied a batch already (their first one is announced, for takeover times). */
  readonly #resumed = new WeakSet<object>();
  #firstAppliedAt: number | undefined;
  #lastAppliedAt: number | undefined;
  /** Writes the sink refused because another TaskManager had claimed the partition (zombie writes). */
  #fencedWrites = 0;

  constructor(options: TaskManagerOptions) {
    this.#o = options;
    this.#id = options.taskManagerId;
    this.#clientId = `sluice-${options.taskManagerId}`;
    this.#load = new LoadStatus(options.events, options.taskManagerId);
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
    // The JobManager keeps a timeline of who owned what: send it every TaskManager event.
    const unsubscribe = events.subscribe((event) => {
      if (event.type.startsWith('taskmanager.')) this.#jm?.send({ type: 'event', at: Date.now(), event });
    });
    this.#jm = await JobManagerConnection.connect(
      this.#o.jobManagerUrl,
      { taskManagerId: this.#id, pid: process.pid, host: os.hostname(), clientId: this.#clientId },
      {
        onStart: () => this.#startSignal?.(),
        onStop: () => this.stop(),
        onTriggerCheckpoint: (checkpointId) => void this.#checkpoint(checkpointId),
        onCheckpointComplete: (checkpointId, offsets) => void this.#commitCheckpoint(checkpointId, offsets),
        onCheckpointAborted: (checkpointId) => {
          for (const task of this.#registry?.tasks() ?? []) task.abortCheckpoint(checkpointId);
        },
        onMembership: (partitions) => {
          // A member the coordinator gives nothing: IDLE (unless an assignment is on its way to us).
          if (partitions.length === 0 && this.#registry?.size === 0 && !this.#listener?.busy) {
            this.#load.memberWithoutPartitions();
          }
        },
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
    );
    const job = withConnections(this.#jm.job, this.#o.connections);
    if (this.#jm.subscribeNow) this.#startSignal?.();
    const heartbeat = setInterval(() => this.#heartbeat(), this.#o.heartbeatIntervalMs ?? 1000);
    try {
      await waitForKafka({
        bootstrapServers: job.bootstrapServers,
        security: this.#o.security.kafka,
        timeoutMs: job.kafkaWaitTimeoutMs,
        topic: job.topic,
        events,
      });
      if (this.#stopping) return;
      await this.#setUp(job);
      await Promise.race([started, stopRequested]);
      if (!this.#stopping) this.#subscribe(job);
      await this.#consumeLoop(job);
      await this.#leaveGroup();
    } finally {
      clearInterval(heartbeat);
      this.#progress?.flush();
      events.emit({
        type: 'taskmanager.source_completed',
        taskManagerId: this.#id,
        consumed: this.#registry?.totalConsumed() ?? 0,
      });
      this.#heartbeat();
      unsubscribe();
      await this.#sink?.close().catch(() => {});
      await this.#dlq?.close().catch(() => {});
      await this.#jm.close();
    }
  }

  /** Asks for a graceful stop: finish the batch in flight, hand partitions over, leave the group. */
  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#load.stopping();
    this.#stopSignal?.();
  }

  async #setUp(job: JobSpec): Promise<void> {
    const events = this.#o.events;
    const graph = loadJob(job);
    const self = this;
    this.#sink = graph.sink({
      taskManagerId: this.#id,
      topic: job.topic,
      redis: { ...this.#o.security.redis, url: job.redisUrl },
      kafka: { bootstrapServers: job.bootstrapServers, security: this.#o.security.kafka },
      groupId: job.groupId,
      startPositions: job.startPositions,
      // The consumer is created below (it needs the registry, which needs the sink); sinks use it later.
      get consumer() {
        return self.#consumer;
      },
    });
    await this.#sink.open();
    const dlq = await DeadLetterQueue.open({
      bootstrapServers: job.bootstrapServers,
      security: this.#o.security.kafka,
      topic: job.deadLetterTopic,
      taskManagerId: this.#id,
    });
    this.#dlq = dlq;
    this.#registry = new TaskRegistry({
      topic: job.topic,
      graph,
      sink: this.#sink,
      deadLetters: (letters) => dlq.send(letters),
      onApplyError: (partition, error, attempt) => {
        if (attempt === 1 || attempt % 10 === 0) {
          events.emit({
            type: 'taskmanager.consume_error',
            taskManagerId: this.#id,
            error: `sink write for partition ${partition} failed (attempt ${attempt}, retrying): ${String(error)}`,
          });
        }
      },
    });
    this.#progress = new ProgressReporter(events, {
      taskManagerId: this.#id,
      topic: job.topic,
      every: job.progressEvery,
    });
    this.#listener = new RebalanceListener({
      taskManagerId: this.#id,
      pid: process.pid,
      topic: job.topic,
      registry: this.#registry,
      load: this.#load,
      events,
      onChanged: () => this.#heartbeat(),
    });
    this.#consumer = await connectConsumer({
      bootstrapServers: job.bootstrapServers,
      security: this.#o.security.kafka,
      clientId: this.#clientId,
      groupId: job.groupId,
      groupProtocol: job.groupProtocol,
      rebalance: this.#listener.onRebalance,
      extra: {
        // Commit results arrive as events; a failed commit is logged, the next checkpoint commits again.
        offset_commit_cb: true,
        // Fewer, larger fetches and a deeper local queue: the per-record cost is what limits a
        // TaskManager, and librdkafka's defaults fetch in small pieces (measured: bench throughput).
        'queued.min.messages': 200_000,
        'fetch.message.max.bytes': 4_194_304,
        'fetch.max.bytes': 52_428_800,
      },
    });
    this.#consumer.on('offset.commit', (error) => {
      if (error) this.#consumeError(`offset commit failed: ${describeKafkaError(error)}`);
    });
    // Short consume timeouts keep the loop responsive to stop requests and rebalances; a batch is
    // what is ready once the first record arrived, so no record waits for a batch to fill.
    this.#consumer.setDefaultConsumeTimeout(100);
    this.#consumer.setDefaultIsTimeoutOnlyForFirstMessage(true);
    this.#consumer.on('event.error', (error) => this.#consumeError(describeKafkaError(error), error.code));
  }

  #subscribe(job: JobSpec): void {
    const consumer = this.#consumer;
    if (!consumer || this.#subscribed) return;
    this.#subscribed = true;
    consumer.subscribe([job.topic]);
    this.#load.joining();
    this.#o.events.emit({
      type: 'taskmanager.ready',
      taskManagerId: this.#id,
      topic: job.topic,
      groupId: job.groupId,
      groupProtocol: job.groupProtocol,
    });
  }

  async #consumeLoop(job: JobSpec): Promise<void> {
    const consumer = this.#consumer;
    const registry = this.#registry;
    if (!consumer || !registry) return;
    const ticker = setInterval(() => this.#progress?.tick(), 1000);
    try {
      while (!this.#stopping) {
        const messages = await this.#consume(consumer, job.consumeBatch);
        if (messages.length > 0) await this.#processBatch(consumer, registry, job.topic, messages);
      }
    } finally {
      clearInterval(ticker);
    }
  }

  async #processBatch(
    consumer: KafkaConsumer,
    registry: TaskRegistry,
    topic: string,
    messages: Message[],
  ): Promise<void> {
    const byPartition = new Map<number, SourceRecord[]>();
    for (const m of messages) {
      let list = byPartition.get(m.partition);
      if (!list) {
        list = [];
        byPartition.set(m.partition, list);
      }
      // A librdkafka Message already has a SourceRecord's fields: no copy per record.
      list.push(m as SourceRecord);
    }
    const results = await Promise.all(
      [...byPartition].map(async ([partition, records]): Promise<[number, BatchResult | undefined]> => {
        const task = registry.get(partition);
        return [partition, task ? await task.process(records) : undefined];
      }),
    );
    for (const [partition, result] of results) {
      if (!result) continue;
      if (result.seekTo !== undefined) {
        consumer.seek({ topic, partition, offset: result.seekTo }, 0, () => {});
      }
      if (result.outcome === 'applied' && result.lastOffset !== undefined) {
        const task = registry.get(partition);
        if (task && !this.#resumed.has(task)) {
          this.#resumed.add(task);
          this.#o.events.emit({
            type: 'taskmanager.partition_resumed',
            taskManagerId: this.#id,
            partition,
            offset: byPartition.get(partition)?.[0]?.offset ?? result.lastOffset,
          });
        }
        this.#progress?.record(registry.totalConsumed(), partition, result.lastOffset, registry.size);
        // End-to-end latency: from the record's creation (producer timestamp) to its result being visible.
        const now = Date.now();
        this.#firstAppliedAt ??= now;
        this.#lastAppliedAt = now;
        for (const record of byPartition.get(partition) ?? []) {
          if (record.timestamp !== undefined && record.timestamp > 0)
            this.#latency.record(now - record.timestamp);
        }
      }
      if (result.outcome === 'fenced') {
        this.#fencedWrites++;
        this.#o.events.emit({
          type: 'taskmanager.write_fenced',
          taskManagerId: this.#id,
          partition,
          epoch: registry.get(partition)?.epoch ?? -1,
          currentEpoch: result.currentEpoch ?? -1,
        });
      }
    }
  }

  #consume(consumer: KafkaConsumer, max: number): Promise<Message[]> {
    return new Promise((resolve) => {
      consumer.consume(max, (err, messages) => {
        if (err) {
          this.#consumeError(describeKafkaError(err), err.code);
          // Back off a little so a persistent error does not spin.
          void sleep(200).then(() => resolve([]));
          return;
        }
        resolve(messages);
      });
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
    if (!consumer || !registry) return;
    try {
      consumer.unsubscribe();
    } catch {
      // Not subscribed yet.
    }
    const deadline = Date.now() + 10_000;
    while ((registry.size > 0 || this.#listener?.busy) && Date.now() < deadline) {
      await this.#consume(consumer, 100);
    }
    await this.#listener?.settled();
    await disconnectConsumer(consumer);
  }

  /** Snapshots every task at its next batch boundary and acknowledges, or declines for those that cannot. */
  async #checkpoint(checkpointId: number): Promise<void> {
    const registry = this.#registry;
    if (!registry || this.#stopping) return;
    const tasks = registry.tasks();
    if (tasks.length === 0) return;
    const snapshots = await Promise.all(tasks.map((t) => t.snapshot(checkpointId)));
    // A task whose commit failed reads again from its last committed position.
    for (const task of tasks) {
      const seekTo = task.takePendingSeek();
      if (seekTo !== undefined && this.#consumer && this.#jm) {
        this.#consumer.seek(
          { topic: this.#jm.job.topic, partition: task.partition, offset: seekTo },
          0,
          () => {},
        );
      }
    }
    const declined = tasks.filter((_, i) => snapshots[i] === undefined).map((t) => t.partition);
    if (declined.length > 0) {
      this.#jm?.send({
        type: 'checkpoint_decline',
        checkpointId,
        partitions: declined,
        reason: `partitions ${declined.join(', ')} of ${this.#id} are not running (restoring or handing over)`,
      });
      return;
    }
    this.#jm?.send({
      type: 'checkpoint_ack',
      checkpointId,
      snapshots: snapshots.filter((s) => s !== undefined),
    });
  }

  /**
   * A checkpoint completed: commit its positions to Kafka (for lag tools and for anyone reading the
   * group's offsets) for the partitions this TaskManager still owns at the snapshot's epoch. A
   * partition that changed owner since is left to its new owner's next checkpoint. With a
   * transactional sink, its prepared transactions are committed instead (offsets inside).
   */
  async #commitCheckpoint(
    checkpointId: number,
    offsets: { partition: number; position: number; epoch: number }[],
  ): Promise<void> {
    const consumer = this.#consumer;
    const registry = this.#registry;
    const topic = this.#jm?.job.topic;
    if (!consumer || !registry || !topic || this.#stopping) return;
    // A transactional sink commits its prepared transactions, offsets inside: phase two.
    if (this.#sink?.commitsOffsets) {
      await Promise.all(registry.tasks().map((t) => t.completeCheckpoint(checkpointId)));
      this.#lastCommittedCheckpoint = checkpointId;
      return;
    }
    const mine = offsets.filter((o) => {
      const task = registry.get(o.partition);
      return task?.state === 'RUNNING' && task.epoch === o.epoch;
    });
    if (mine.length === 0) return;
    try {
      consumer.commit(mine.map((o) => ({ topic, partition: o.partition, offset: o.position })));
      this.#lastCommittedCheckpoint = checkpointId;
    } catch (error) {
      this.#consumeError(`committing checkpoint ${checkpointId} failed: ${describeKafkaError(error)}`);
    }
  }

  #heartbeat(): void {
    const registry = this.#registry;
    const message: TaskManagerMessage = {
      type: 'heartbeat',
      status: this.#load.status,
      partitions: (registry?.tasks() ?? []).map((t) => ({
        partition: t.partition,
        position: t.position ?? -1,
        consumed: t.consumed,
        state: t.state,
      })),
      consumed: registry?.totalConsumed() ?? 0,
      rssBytes: process.memoryUsage().rss,
      lastCommittedCheckpoint: this.#lastCommittedCheckpoint,
      latency: this.#latency.toBuckets(),
      fencedWrites: this.#fencedWrites,
      deadLettered: registry?.totalFailed() ?? 0,
      ...(this.#firstAppliedAt === undefined ? {} : { firstAppliedAt: this.#firstAppliedAt }),
      ...(this.#lastAppliedAt === undefined ? {} : { lastAppliedAt: this.#lastAppliedAt }),
    };
    this.#jm?.send(message);
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
