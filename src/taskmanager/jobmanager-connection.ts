// The TaskManager's end of the wire: one WebSocket to the JobManager. It registers, receives the
// job, sends heartbeats and events, and hears `start` and `stop`. If the JobManager goes away the
// TaskManager stops too: a worker without its coordinator must not linger as a stray process.

import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { SluiceError } from '../errors/sluice-error.js';
import {
  JobManagerMessage,
  type JobSpec,
  TASKMANAGER_SOCKET_PATH,
  type TaskManagerMessage,
} from '../protocol/messages.js';

export interface Registration {
  taskManagerId: string;
  pid: number;
  host: string;
  clientId: string;
}

export interface JobManagerHandlers {
  onStart: () => void;
  onStop: (reason: string) => void;
  /** The broker lists this TaskManager as a member owning these partitions. */
  onMembership: (partitions: number[]) => void;
  onTriggerCheckpoint: (checkpointId: number) => void;
  onCheckpointComplete: (
    checkpointId: number,
    offsets: { partition: number; position: number; epoch: number }[],
  ) => void;
  onCheckpointAborted: (checkpointId: number) => void;
  /** The connection broke (the JobManager died or the network failed). */
  onLost: (reason: string) => void;
}

export class JobManagerConnection {
  readonly job: JobSpec;
  /** True when the group was already running: join at once instead of waiting for `start`. */
  readonly subscribeNow: boolean;
  readonly #socket: WebSocket;
  #closing = false;

  private constructor(socket: WebSocket, job: JobSpec, subscribeNow: boolean) {
    this.#socket = socket;
    this.job = job;
    this.subscribeNow = subscribeNow;
  }

  /** Connects (retrying until `timeoutMs`, the JobManager may still be starting) and registers. */
  static async connect(
    url: string,
    registration: Registration,
    handlers: JobManagerHandlers,
    timeoutMs = 30_000,
  ): Promise<JobManagerConnection> {
    const socketUrl = toSocketUrl(url);
    const deadline = Date.now() + timeoutMs;
    let lastError = 'no attempt';
    while (Date.now() < deadline) {
      try {
        return await JobManagerConnection.#attempt(socketUrl, registration, handlers);
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        lastError = error instanceof Error ? error.message : String(error);
        await sleep(250);
      }
    }
    throw new SluiceError(
      'JOBMANAGER_UNREACHABLE',
      `TaskManager ${registration.taskManagerId} could not register with the JobManager at ${socketUrl} within ` +
        `${timeoutMs}ms (${lastError}). Fix: start the JobManager first (\`npx sluice jobmanager\`) and pass its ` +
        'address with --jobmanager or SLUICE_JOBMANAGER_URL.',
    );
  }

  static #attempt(
    url: string,
    registration: Registration,
    handlers: JobManagerHandlers,
  ): Promise<JobManagerConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { handshakeTimeout: 2000 });
      let connection: JobManagerConnection | undefined;
      socket.once('open', () => send(socket, { type: 'register', ...registration }));
      socket.once('error', (error) => {
        if (!connection) reject(error);
      });
      socket.on('close', () => {
        if (!connection) reject(new Error('closed before registration'));
        else if (!connection.#closing) handlers.onLost('the JobManager closed the connection');
      });
      socket.on('message', (data) => {
        const parsed = JobManagerMessage.safeParse(JSON.parse(String(data)));
        if (!parsed.success) return;
        const message = parsed.data;
        switch (message.type) {
          case 'registered':
            connection = new JobManagerConnection(socket, message.job, message.subscribe);
            resolve(connection);
            break;
          case 'rejected':
            socket.close();
            reject(
              new SluiceError(
                'JOBMANAGER_REJECTED',
                `The JobManager refused TaskManager ${registration.taskManagerId}: ${message.reason}`,
              ),
            );
            break;
          case 'start':
            handlers.onStart();
            break;
          case 'stop':
            handlers.onStop(message.reason);
            break;
          case 'membership':
            handlers.onMembership(message.partitions);
            break;
          case 'trigger_checkpoint':
            handlers.onTriggerCheckpoint(message.checkpointId);
            break;
          case 'checkpoint_complete':
            handlers.onCheckpointComplete(message.checkpointId, message.offsets);
            break;
          case 'checkpoint_aborted':
            handlers.onCheckpointAborted(message.checkpointId);
            break;
        }
      });
    });
  }

  send(message: TaskManagerMessage): void {
    if (this.#socket.readyState === WebSocket.OPEN) send(this.#socket, message);
  }

  /** Sends what is queued, then closes. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.close(1000, 'TaskManager stopping');
      setTimeout(resolve, 2000).unref();
    });
  }
}

function send(socket: WebSocket, message: TaskManagerMessage): void {
  socket.send(JSON.stringify(message));
}

function toSocketUrl(url: string): string {
  const base = url.replace(/^http/, 'ws').replace(/\/+$/, '');
  return base.endsWith(TASKMANAGER_SOCKET_PATH) ? base : `${base}${TASKMANAGER_SOCKET_PATH}`;
}
