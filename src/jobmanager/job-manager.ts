// The JobManager's server: an HTTP endpoint (Flink's port 8081 by default) where TaskManagers open
// their WebSocket, plus the registry it feeds. It tells the group when to start and when to stop.

import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { GroupDescriber, type GroupView } from '../connectors/kafka/group-describer.js';
import { type JobSpec, TASKMANAGER_SOCKET_PATH } from '../protocol/messages.js';
import { GroupObserver } from './group-observer.js';
import { TaskManagerRegistry } from './taskmanager-registry.js';
import { handleTaskManagerSocket, send } from './taskmanager-socket.js';

export interface JobManagerOptions {
  job: JobSpec;
  port: number;
  host?: string;
}

export class JobManager {
  readonly registry = new TaskManagerRegistry();
  readonly job: JobSpec;
  readonly #options: JobManagerOptions;
  readonly #sockets = new Map<string, WebSocket>();
  #server: FastifyInstance | undefined;
  #groupStarted = false;
  #url = '';
  #describer: GroupDescriber | undefined;
  #observer: GroupObserver | undefined;
  /** The broker's last description of the job's consumer group. */
  brokerView: GroupView | undefined;

  constructor(options: JobManagerOptions) {
    this.#options = options;
    this.job = options.job;
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<string> {
    const server = Fastify({ logger: false });
    await server.register(websocket);
    server.get(TASKMANAGER_SOCKET_PATH, { websocket: true }, (socket) =>
      handleTaskManagerSocket(socket, {
        registry: this.registry,
        job: this.job,
        groupStarted: () => this.#groupStarted,
        onRegistered: (id, s) => this.#sockets.set(id, s),
        onClosed: (id) => this.#sockets.delete(id),
      }),
    );
    server.get('/taskmanagers', async () => ({ taskmanagers: this.registry.list() }));
    const host = this.#options.host ?? '127.0.0.1';
    await server.listen({ port: this.#options.port, host });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : this.#options.port;
    this.#server = server;
    this.#url = `http://${host}:${port}`;
    this.#describer = new GroupDescriber({
      bootstrapServers: this.job.bootstrapServers,
      clientId: 'sluice-jobmanager',
    });
    this.#observer = new GroupObserver({
      describer: this.#describer,
      groupId: this.job.groupId,
      onView: (view) => {
        this.brokerView = view;
      },
      onSettled: (member) => {
        const tm = this.registry
          .list()
          .find((t) => t.clientId === member.clientId && t.status !== 'DISCONNECTED');
        const socket = tm ? this.#sockets.get(tm.id) : undefined;
        if (socket) send(socket, { type: 'membership', partitions: member.partitions });
      },
    });
    this.#observer.start();
    return this.#url;
  }

  /** Tells every registered TaskManager to join the consumer group now, together. */
  startGroup(): void {
    this.#groupStarted = true;
    for (const socket of this.#sockets.values()) send(socket, { type: 'start' });
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

  async close(): Promise<void> {
    await this.#observer?.stop();
    this.#describer?.close();
    for (const socket of this.#sockets.values()) socket.terminate();
    await this.#server?.close();
  }
}
