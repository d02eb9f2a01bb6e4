// The JobManager's server: an HTTP endpoint (Flink's port 8081 by default) where TaskManagers open
// their WebSocket, plus the registry it feeds. It tells the group when to start and when to stop.

import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { CheckpointCoordinator } from '../checkpoint/checkpoint-coordinator.js';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { CompletedCheckpoint, TaskSnapshot } from '../checkpoint/completed-checkpoint.js';
import type { Secret } from '../config/secret.js';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import type { KafkaSecurity } from '../connectors/kafka/client-config.js';
import { GroupDescriber, type GroupView } from '../connectors/kafka/group-describer.js';
import { KafkaGroupMemberRemover } from '../connectors/kafka/group-member-removal.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { EventLog } from '../logging/event-log.js';
import type { TaskSlots } from '../plan/task-slots.js';
import { type JobManagerMessage, type JobSpec, TASKMANAGER_SOCKET_PATH } from '../protocol/messages.js';
import { DepartedMembers } from './departed-members.js';
import { GroupObserver } from './group-observer.js';
import { slotsOf } from './job-spec.js';
import { OWNERSHIP_GRACE_MS, OwnershipWatch } from './ownership-watch.js';
import type { ClusterView, TopicOffsets } from './rest/cluster-view.js';
import { registerRestApi } from './rest/rest-routes.js';
import { RevocationWatch } from './revocation-watch.js';
import { isGone, TaskManagerRegistry } from './taskmanager-registry.js';
import { handleTaskManagerSocket, send } from './taskmanager-socket.js';

/**
 * A TaskManager sends a heartbeat every second; one silent this long is dropped (DISCONNECTED),
 * even when TCP has not noticed: a host cut off sends no reset. Flink's heartbeat.timeout, shorter.
 */
const HEARTBEAT_TIMEOUT_MS = 10_000;
/** Pings let a TaskManager tell a dead path from a quiet JobManager (see jobmanager-connection.ts). */
const PING_INTERVAL_MS = 2000;

export interface CheckpointingOptions {
  intervalMs: number;
  timeoutMs: number;
  store: CheckpointStore;
  previous?: CompletedCheckpoint;
  /** After a checkpoint is stored, before it is announced (fault tests kill the process here). */
  onStored?: (checkpoint: CompletedCheckpoint) => void;
}

export interface JobManagerOptions {
  job: JobSpec;
  /** How this process's own Kafka clients (group observer, REST offsets) authenticate; not in the job. */
  kafkaSecurity: KafkaSecurity;
  port: number;
  host?: string;
  /** Periodic checkpoints from the moment the group starts; none when absent. */
  checkpointing?: CheckpointingOptions;
  events?: EventLog;
  /** How long a TaskManager may claim tasks the broker gave to others (default OWNERSHIP_GRACE_MS). */
  ownershipGraceMs?: number;
  /** TaskManagers register only by proving they hold this secret (protocol/cluster-auth.ts). */
  clusterSecret?: Secret | undefined;
}

/** A description of the group read this long after a report reflects it (a describe takes well under). */
const VIEW_SETTLE_MS = 2_000;

/**
 * How long a member may keep partitions the coordinator moved away before the JobManager says so:
 * a revocation waits for the task's batch in flight and a checkpoint's commit (its timeout 10 s).
 */
const UNREVOKED_AFTER_MS = 20_000;

export class JobManager implements ClusterView {
  readonly registry = new TaskManagerRegistry();
  readonly job: JobSpec;
  /** The job's tasks: one per partition of each source topic. */
  readonly slots: TaskSlots;
  readonly #options: JobManagerOptions;
  readonly #sockets = new Map<string, WebSocket>();
  readonly #lastHeard = new Map<string, number>();
  #liveness: NodeJS.Timeout | undefined;
  #server: FastifyInstance | undefined;
  #groupStarted = false;
  #url = '';
  #describer: GroupDescriber | undefined;
  #observer: GroupObserver | undefined;
  #remover: KafkaGroupMemberRemover | undefined;
  #departed: DepartedMembers | undefined;
  /** Connections this JobManager closed itself (heartbeat timeout, its own close): not a departure. */
  readonly #closedHere = new WeakSet<WebSocket>();
  readonly #ownership: OwnershipWatch;
  /** The broker's last description of the job's consumer group. */
  brokerView: GroupView | undefined;
  /** Client ids the broker has listed as members of the job's group, ever. */
  readonly #everMember = new Set<string>();
  /** When brokerView was read, and when each TaskManager last reported an ownership change (this clock). */
  #brokerViewAt = 0;
  readonly #lastReportAt = new Map<string, number>();
  /** TaskManagers whose unbacked answers were reported already (once each). */
  readonly #reportedUnbacked = new Set<string>();
  /** Flink's job states, for the REST API: CREATED until the group starts. */
  jobState: 'CREATED' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED' = 'CREATED';
  jobStartedAt: number | undefined;
  jobEndedAt: number | undefined;
  readonly createdAt = Date.now();
  readonly checkpoints: CheckpointCoordinator | undefined;

  constructor(options: JobManagerOptions) {
    this.#options = options;
    this.job = options.job;
    this.slots = slotsOf(options.job);
    this.#ownership = new OwnershipWatch(options.ownershipGraceMs);
    const cp = options.checkpointing;
    const events = options.events;
    this.checkpoints = cp
      ? new CheckpointCoordinator({
          jobRunId: options.job.runId,
          tasks: this.slots.size,
          intervalMs: cp.intervalMs,
          timeoutMs: cp.timeoutMs,
          store: cp.store,
          ...(cp.previous ? { previous: cp.previous } : {}),
          ...(cp.onStored ? { onStored: cp.onStored } : {}),
          trigger: (checkpointId) => this.#broadcast({ type: 'trigger_checkpoint', checkpointId }),
          notReady: () => this.notReadyForCheckpoint(),
          notifyComplete: (checkpoint) =>
            this.#broadcast({
              type: 'checkpoint_complete',
              checkpointId: checkpoint.id,
              offsets: checkpoint.tasks.map((t) => ({
                task: t.task,
                topic: t.topic,
                partition: t.partition,
                position: t.position,
                epoch: t.epoch,
              })),
            }),
          onCompleted: (checkpoint) =>
            events?.emit({
              type: 'checkpoint.completed',
              checkpointId: checkpoint.id,
              durationMs: checkpoint.completedAt - checkpoint.triggeredAt,
              positions: checkpoint.tasks.map((t) => t.position),
            }),
          onAborted: (checkpointId, reason, detail) => {
            this.#broadcast({ type: 'checkpoint_aborted', checkpointId });
            events?.emit({ type: 'checkpoint.aborted', checkpointId, reason, detail });
          },
        })
      : undefined;
  }

  get url(): string {
    return this.#url;
  }

  /** Why no checkpoint can complete now (tasks without a single owner), or undefined. */
  notReadyForCheckpoint(): string | undefined {
    const owners = this.registry.owners();
    const orphans = this.slots
      .all()
      .filter((t) => owners.get(t.slot)?.length !== 1)
      .map((t) => t.id);
    return orphans.length > 0 ? `tasks ${orphans.join(', ')} have no single owner` : undefined;
  }

  async start(): Promise<string> {
    const server = Fastify({ logger: false });
    await server.register(websocket);
    server.get(TASKMANAGER_SOCKET_PATH, { websocket: true }, (socket, request) =>
      handleTaskManagerSocket(
        socket,
        {
          registry: this.registry,
          job: this.job,
          secret: this.#options.clusterSecret,
          onRefused: (taskManagerId, address, reason) =>
            this.#options.events?.emit({
              type: 'jobmanager.taskmanager_refused',
              taskManagerId,
              address,
              reason,
            }),
          groupStarted: () => this.#groupStarted,
          onRegistered: (id, s, reconnected) => {
            const old = this.#sockets.get(id);
            // The same process on a new connection: its old one is half-open at best.
            if (old && old !== s) old.terminate();
            this.#sockets.set(id, s);
            this.#lastHeard.set(id, Date.now());
            const tm = this.registry.get(id);
            if (tm)
              this.#options.events?.emit({
                type: 'jobmanager.taskmanager_registered',
                taskManagerId: id,
                pid: tm.pid,
                host: tm.host,
                ...(reconnected ? { reconnected } : {}),
              });
          },
          onClosed: (id, s) => {
            if (this.#sockets.get(id) !== s) return;
            this.#sockets.delete(id);
            this.#lastHeard.delete(id);
            // One that said it is stopping (or whose asked-for exit was seen first) left the group itself.
            const tm = this.registry.get(id);
            const leftItself = tm?.status === 'STOPPING' || tm?.status === 'STOPPED';
            if (tm && this.#groupStarted && !leftItself && !this.#closedHere.has(s))
              this.#departed?.departed(id, tm.clientId);
            this.registry.disconnected(id);
            this.checkpoints?.ownershipChanged('lost', `TaskManager ${id} disconnected`);
          },
          onHeard: (id) => this.#lastHeard.set(id, Date.now()),
          onCheckpointAck: (id, m) => {
            if (this.#backed(id))
              this.checkpoints?.acknowledge(m.checkpointId, this.#ownedSnapshots(id, m.snapshots));
          },
          onCheckpointDecline: (id, m) => {
            if (this.#backed(id)) this.checkpoints?.decline(m.checkpointId, `${id}: ${m.reason}`);
          },
          onOwnership: (id, message) => {
            this.#lastReportAt.set(id, Date.now());
            if (message.kind !== 'assigned' && this.#backed(id))
              this.checkpoints?.ownershipChanged(
                message.kind,
                `${id} ${message.kind === 'lost' ? 'lost' : 'handed over'} tasks ${message.tasks.join(', ')}`,
              );
          },
        },
        request.socket.remoteAddress?.replace(/^::ffff:/, ''),
      ),
    );
    registerRestApi(server, this);
    const host = this.#options.host ?? '127.0.0.1';
    await server.listen({ port: this.#options.port, host }).catch(async (error: unknown) => {
      await server.close().catch(() => {});
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // Said before anything runs: a run that cannot listen must not go on to a verdict.
      throw new SluiceError(
        'INFRA_PORT_IN_USE',
        `The JobManager cannot listen on ${host}:${this.#options.port}: the port is already in use ` +
          '(another Sluice run, or another program). Fix: stop that process, or choose another port with ' +
          'SLUICE_JOBMANAGER_PORT (or --jobmanager-port; 0 picks a free one).',
        { details: { port: this.#options.port, host } },
      );
    });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : this.#options.port;
    this.#server = server;
    this.#url = `http://${host}:${port}`;
    this.#describer = new GroupDescriber({
      bootstrapServers: this.job.bootstrapServers,
      security: this.#options.kafkaSecurity,
      clientId: 'sluice-jobmanager',
    });
    const revocations = new RevocationWatch({
      afterMs: UNREVOKED_AFTER_MS,
      slotOf: (topic, partition) => this.slots.slotOf(topic, partition),
      onUnrevoked: (stuck) =>
        this.#options.events?.emit({
          type: 'jobmanager.revocation_stuck',
          taskManagerId: this.#liveByClientId(stuck.clientId)?.id ?? stuck.clientId,
          partitions: Object.fromEntries(this.slots.byTopic(stuck.tasks)),
          heldMs: Date.now() - stuck.since,
        }),
    });
    this.#observer = new GroupObserver({
      describer: this.#describer,
      groupId: this.job.groupId,
      slotOf: (topic, partition) => this.slots.slotOf(topic, partition),
      onView: (view) => {
        this.brokerView = view;
        this.#brokerViewAt = Date.now();
        for (const m of view.members) this.#everMember.add(m.clientId);
        this.#checkOwnership(view);
        revocations.observe(view);
      },
      onSettled: (member) => {
        const tm = this.#liveByClientId(member.clientId);
        const socket = tm ? this.#sockets.get(tm.id) : undefined;
        if (socket) send(socket, { type: 'membership', tasks: member.tasks });
      },
      // Still JOINING by its own account: it has not heard (or could not yet use) the notice.
      awaitsNotice: (clientId) => {
        const status = this.#liveByClientId(clientId)?.status;
        return status === 'STARTING' || status === 'JOINING';
      },
    });
    this.#observer.start();
    this.#remover = new KafkaGroupMemberRemover({
      bootstrapServers: this.job.bootstrapServers,
      security: this.#options.kafkaSecurity,
      clientId: 'sluice-jobmanager',
    });
    this.#remover.warmUp();
    const describer = this.#describer;
    this.#departed = new DepartedMembers({
      groupId: this.job.groupId,
      remover: this.#remover,
      lastSeen: () => this.brokerView?.members,
      describe: async () => (await describer.describe(this.job.groupId, 2_000)).members,
      onRemoved: (taskManagerId, memberIds, ms) =>
        this.#options.events?.emit({ type: 'jobmanager.member_removed', taskManagerId, memberIds, ms }),
      onFailed: (taskManagerId, reason) =>
        this.#options.events?.emit({ type: 'jobmanager.member_removal_failed', taskManagerId, reason }),
    });
    this.#liveness = setInterval(() => this.#checkLiveness(), PING_INTERVAL_MS);
    return this.#url;
  }

  /** TaskManagers that claim tasks the broker has long given to other members are told to exit. */
  #checkOwnership(view: GroupView): void {
    const members = view.members.map((m) => ({
      clientId: m.clientId,
      tasks: m.partitions.flatMap((p) => this.slots.slotOf(p.topic, p.partition) ?? []),
    }));
    for (const conflict of this.#ownership.check(members, this.registry.connected(), Date.now())) {
      const { taskManagerId, tasks, owners, forMs } = conflict;
      this.#options.events?.emit({ type: 'jobmanager.ownership_conflict', ...conflict });
      const socket = this.#sockets.get(taskManagerId);
      if (socket) send(socket, { type: 'ownership_lost', tasks, owners, forMs });
    }
  }

  /**
   * Whether the broker backs what a TaskManager says about checkpoints and partitions: the broker
   * must have listed it (by its client id) as a member of the job's group. A TaskManager joins
   * within seconds of the group's start (or of registering, once it runs), and the broker is read
   * every second, so one it has still never listed OWNERSHIP_GRACE_MS later is no member — an
   * intruder on an unsecured link: it cannot decline checkpoints or abort them with ownership
   * reports (the first time, the JobManager says so). Until then nothing is judged: a member that
   * just joined must not lose its first reports to the lag of a describe.
   */
  #backed(id: string): boolean {
    const tm = this.registry.get(id);
    if (!tm || this.#everMember.has(tm.clientId)) return true;
    const since = Math.max(tm.registeredAt, this.jobStartedAt ?? Number.POSITIVE_INFINITY);
    if (Date.now() - since < (this.#options.ownershipGraceMs ?? OWNERSHIP_GRACE_MS)) return true;
    if (!this.#reportedUnbacked.has(id)) {
      this.#reportedUnbacked.add(id);
      this.#options.events?.emit({
        type: 'jobmanager.taskmanager_refused',
        taskManagerId: id,
        address: tm.address,
        reason: `its checkpoint answers and partition reports are ignored: the broker lists no member of group '${this.job.groupId}' with its client id '${tm.clientId}'`,
      });
    }
    return false;
  }

  /**
   * A TaskManager's snapshots, but those of tasks the broker gives to another member — judged only
   * on a description read well after the TaskManager's last ownership report (VIEW_SETTLE_MS): an
   * older one may not know of a hand-over yet, and the new owner's answer must not be lost to it.
   */
  #ownedSnapshots(id: string, snapshots: readonly TaskSnapshot[]): TaskSnapshot[] {
    const clientId = this.registry.get(id)?.clientId;
    const view = this.brokerView;
    const reported = this.#lastReportAt.get(id) ?? 0;
    if (!view || clientId === undefined || this.#brokerViewAt - reported < VIEW_SETTLE_MS)
      return [...snapshots];
    const owner = new Map<number, string>();
    for (const m of view.members)
      for (const p of m.partitions) {
        const slot = this.slots.slotOf(p.topic, p.partition);
        if (slot !== undefined) owner.set(slot, m.clientId);
      }
    return snapshots.filter((s) => (owner.get(s.task) ?? clientId) === clientId);
  }

  #liveByClientId(clientId: string) {
    return this.registry.list().find((t) => t.clientId === clientId && !isGone(t.status));
  }

  #checkLiveness(): void {
    const now = Date.now();
    for (const [id, socket] of this.#sockets) {
      const silentMs = now - (this.#lastHeard.get(id) ?? now);
      if (silentMs > HEARTBEAT_TIMEOUT_MS) {
        this.#options.events?.emit({
          type: 'jobmanager.taskmanager_unresponsive',
          taskManagerId: id,
          silentMs,
        });
        this.#closedHere.add(socket);
        socket.terminate();
      } else socket.ping();
    }
  }

  /** Tells every registered TaskManager to join the consumer group now, together; checkpoints begin. */
  startGroup(): void {
    this.#groupStarted = true;
    this.jobState = 'RUNNING';
    this.jobStartedAt = Date.now();
    this.#broadcast({ type: 'start' });
    this.checkpoints?.start();
  }

  #broadcast(message: JobManagerMessage): void {
    for (const socket of this.#sockets.values()) send(socket, message);
  }

  /** The job reached its end: FINISHED (verified), FAILED or CANCELED (Ctrl-C). */
  /** The input ended (`--stop-when-idle`): every task reading a source closes its windows. */
  endInput(): void {
    this.#broadcast({ type: 'end_of_input' });
  }

  jobEnded(state: 'FINISHED' | 'FAILED' | 'CANCELED'): void {
    this.jobState = state;
    this.jobEndedAt = Date.now();
  }

  stopTaskManager(id: string, reason: string): void {
    const socket = this.#sockets.get(id);
    if (socket) send(socket, { type: 'stop', reason });
  }

  stopAll(reason: string): void {
    for (const socket of this.#sockets.values()) send(socket, { type: 'stop', reason });
  }

  /** Resolves once every socket is closed or the deadline passes. */
  async waitForDisconnects(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#sockets.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  #admin: KafkaAdmin | undefined;
  #offsets: { at: number; value: Promise<TopicOffsets | undefined> } | undefined;

  /** The group's committed and the source topics' end offsets by slot, for /partitions and /metrics; cached for a second. */
  offsets(): Promise<TopicOffsets | undefined> {
    const now = Date.now();
    if (this.#offsets && now - this.#offsets.at < 1000) return this.#offsets.value;
    this.#admin ??= KafkaAdmin.create(
      {
        bootstrapServers: this.job.bootstrapServers,
        security: this.#options.kafkaSecurity,
        clientId: 'sluice-jobmanager-rest',
      },
      3000,
    );
    const admin = this.#admin;
    const value = (async () => {
      try {
        const committed = new Map<number, number>();
        const end = new Map<number, number>();
        for (const { topic, partitions } of this.slots.topics) {
          const [c, e] = await Promise.all([
            admin.committedOffsets(this.job.groupId, topic, partitions),
            admin.endOffsets(topic, partitions),
          ]);
          for (const [partition, offset] of c)
            committed.set(this.slots.slotOf(topic, partition) ?? -1, offset);
          for (const [partition, offset] of e) end.set(this.slots.slotOf(topic, partition) ?? -1, offset);
        }
        return { committed, end };
      } catch {
        return undefined;
      }
    })();
    this.#offsets = { at: now, value };
    return value;
  }

  async close(): Promise<void> {
    // From here on no connection that ends is a departure: the JobManager is the one going away.
    for (const socket of this.#sockets.values()) this.#closedHere.add(socket);
    clearInterval(this.#liveness);
    await this.checkpoints?.stop();
    this.#admin?.close();
    await this.#observer?.stop();
    this.#describer?.close();
    for (const socket of this.#sockets.values()) socket.terminate();
    await this.#server?.close();
    await this.#departed?.settled();
    await this.#remover?.close();
  }
}
