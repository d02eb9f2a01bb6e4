// The TaskManager's end of the wire: one WebSocket to the JobManager. It registers, receives the
// job, sends heartbeats and events, and hears `start`, `stop` and checkpoint messages. A broken
// connection does not stop the data flow: the TaskManager keeps consuming and registers again (with
// a restarted JobManager, or after a network cut). Only a JobManager gone for the whole grace
// period, or one that now runs another job, stops it: a worker must not linger forever on its own.
// With a cluster secret, each registration proves it and checks the JobManager's proof
// (protocol/cluster-auth.ts); a JobManager that cannot prove it is never worked for.

import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { Secret } from '../config/secret.js';
import { SluiceError } from '../errors/sluice-error.js';
import { newNonce, proofOf, proves } from '../protocol/cluster-auth.js';
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
  /** The job this TaskManager loaded (name, file, build hash), checked by the JobManager. */
  job?: { name: string; file: string; buildHash: string };
}

export interface JobManagerHandlers {
  onStart: () => void;
  onStop: (reason: string) => void;
  /** The broker lists this TaskManager as a member owning these tasks (slots). */
  onMembership: (tasks: number[]) => void;
  /** The broker gave tasks this one claims to others, long ago: its consumer missed the revocation. */
  onOwnershipLost?: (notice: { tasks: number[]; owners: string[]; forMs: number }) => void;
  onTriggerCheckpoint: (checkpointId: number) => void;
  /** The input ended (`--stop-when-idle`): close every window. */
  onEndOfInput?: () => void;
  onCheckpointComplete: (
    checkpointId: number,
    offsets: { task: number; topic: string; partition: number; position: number; epoch: number }[],
  ) => void;
  onCheckpointAborted: (checkpointId: number) => void;
  /** The connection broke; the TaskManager keeps working while this end tries to register again. */
  onDisconnected: (reason: string, graceMs: number) => void;
  /** Registered again after `downMs`; `subscribe` says whether the group has been started. */
  onReconnected: (downMs: number, subscribe: boolean) => void;
  /** No JobManager for the whole grace period, or it runs another job now: the TaskManager stops. */
  onLost: (reason: string) => void;
}

export interface ConnectionTimings {
  /** How long the first registration may take (the JobManager may still be starting). */
  connectTimeoutMs: number;
  /** How long a TaskManager works on without a JobManager before it gives up and stops. */
  reconnectGraceMs: number;
  /**
   * The JobManager pings every socket (every 2 s); silence this long means the path is dead even
   * if TCP has not noticed (a cut link sends no reset), so the socket is dropped and re-opened.
   */
  silenceTimeoutMs: number;
}

export const DEFAULT_TIMINGS: ConnectionTimings = {
  connectTimeoutMs: 30_000,
  reconnectGraceMs: 60_000,
  silenceTimeoutMs: 10_000,
};

interface Registered {
  socket: WebSocket;
  job: JobSpec;
  subscribe: boolean;
}

/** Ownership changes kept while the JobManager is away (a long outage keeps the first ones). */
const UNSENT_OWNERSHIP_LIMIT = 200;

export class JobManagerConnection {
  readonly job: JobSpec;
  /** True when the group was already running: join at once instead of waiting for `start`. */
  readonly subscribeNow: boolean;
  readonly #url: string;
  readonly #registration: Registration;
  readonly #handlers: JobManagerHandlers;
  readonly #timings: ConnectionTimings;
  readonly #secret: Secret | undefined;
  #socket: WebSocket | undefined;
  #lastHeardAt = Date.now();
  #closing = false;
  /** Ownership changes that happened while disconnected, told after registering again. */
  readonly #unsent: TaskManagerMessage[] = [];
  readonly #watchdog: NodeJS.Timeout;

  private constructor(
    url: string,
    registration: Registration,
    handlers: JobManagerHandlers,
    timings: ConnectionTimings,
    first: Registered,
    secret: Secret | undefined,
  ) {
    this.#secret = secret;
    this.#url = url;
    this.#registration = registration;
    this.#handlers = handlers;
    this.#timings = timings;
    this.job = first.job;
    this.subscribeNow = first.subscribe;
    this.#adopt(first.socket);
    this.#watchdog = setInterval(() => this.#checkSilence(), 1000);
    this.#watchdog.unref();
  }

  /** Connects (retrying until the connect timeout, the JobManager may still be starting) and registers. */
  static async connect(
    url: string,
    registration: Registration,
    handlers: JobManagerHandlers,
    timings: Partial<ConnectionTimings> = {},
    /** The cluster secret, when the link is authenticated. */
    secret?: Secret,
  ): Promise<JobManagerConnection> {
    const t = { ...DEFAULT_TIMINGS, ...timings };
    const socketUrl = toSocketUrl(url);
    const deadline = Date.now() + t.connectTimeoutMs;
    let lastError = 'no attempt';
    // The connection object exists only once `register` resolved, a tick after the answer; a
    // message that came in the same read (the JobManager's `start`, a membership notice) waits
    // here and is handed over in order, not dropped.
    let connection: JobManagerConnection | undefined;
    let early: JobManagerMessage[] = [];
    while (Date.now() < deadline) {
      try {
        const first = await register(
          socketUrl,
          registration,
          (m) => {
            if (connection) connection.#dispatch(m);
            else early.push(m);
          },
          secret,
        );
        connection = new JobManagerConnection(socketUrl, registration, handlers, t, first, secret);
        for (const message of early) connection.#dispatch(message);
        return connection;
      } catch (error) {
        if (error instanceof SluiceError) throw error;
        lastError = error instanceof Error ? error.message : String(error);
        early = [];
        await sleep(250);
      }
    }
    throw new SluiceError(
      'JOBMANAGER_UNREACHABLE',
      `TaskManager ${registration.taskManagerId} could not register with the JobManager at ${socketUrl} within ` +
        `${t.connectTimeoutMs}ms (${lastError}). Fix: start the JobManager first (\`npx sluice jobmanager\`) and pass its ` +
        'address with --jobmanager or SLUICE_JOBMANAGER_URL.',
    );
  }

  /** True while a registered connection is open. */
  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  send(message: TaskManagerMessage): void {
    if (this.#socket?.readyState === WebSocket.OPEN) {
      this.#socket.send(JSON.stringify(message));
      return;
    }
    // While disconnected, messages are dropped: heartbeats repeat every second, and a checkpoint
    // acknowledgement for a JobManager that is gone has nobody to complete it. Ownership changes are
    // the exception: they are the partitions' history (a zombie's 📉 happens just then), each with
    // its own time, so they are told once registered again.
    if (message.type === 'ownership' && this.#unsent.length < UNSENT_OWNERSHIP_LIMIT)
      this.#unsent.push(message);
  }

  /** Sends what is queued, then closes; no reconnection after this. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#watchdog);
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.close(1000, 'TaskManager stopping');
      setTimeout(resolve, 2000).unref();
    });
  }

  #adopt(socket: WebSocket): void {
    this.#socket = socket;
    this.#lastHeardAt = Date.now();
    socket.on('ping', () => {
      this.#lastHeardAt = Date.now();
    });
    socket.on('message', () => {
      this.#lastHeardAt = Date.now();
    });
    socket.on('close', () => {
      if (this.#socket !== socket || this.#closing) return;
      this.#socket = undefined;
      void this.#reconnect('the JobManager closed the connection');
    });
  }

  #checkSilence(): void {
    const socket = this.#socket;
    if (!socket || this.#closing) return;
    const silentMs = Date.now() - this.#lastHeardAt;
    if (silentMs < this.#timings.silenceTimeoutMs) return;
    this.#socket = undefined;
    socket.terminate();
    void this.#reconnect(`nothing heard from the JobManager for ${silentMs}ms`);
  }

  async #reconnect(reason: string): Promise<void> {
    const lostAt = Date.now();
    const grace = this.#timings.reconnectGraceMs;
    this.#handlers.onDisconnected(reason, grace);
    let lastError = reason;
    while (!this.#closing && Date.now() - lostAt < grace) {
      await sleep(1000);
      if (this.#closing) return;
      try {
        const again = await register(this.#url, this.#registration, (m) => this.#dispatch(m), this.#secret);
        if (this.#closing) {
          again.socket.close(1000, 'TaskManager stopping');
          return;
        }
        if (again.job.runId !== this.job.runId) {
          again.socket.close(1000, 'TaskManager stopping');
          this.#handlers.onLost(
            `the JobManager at ${this.#url} now runs job run ${again.job.runId}, not ${this.job.runId}`,
          );
          return;
        }
        this.#adopt(again.socket);
        for (const message of this.#unsent.splice(0)) send(again.socket, message);
        this.#handlers.onReconnected(Date.now() - lostAt, again.subscribe);
        return;
      } catch (error) {
        // A refusal here is usually the JobManager still holding our old, half-open connection:
        // it drops it once its heartbeat timeout passes, so keep trying until the grace ends.
        lastError = error instanceof Error ? error.message : String(error);
      }
    }
    if (!this.#closing) {
      this.#handlers.onLost(`no JobManager at ${this.#url} for ${grace}ms (last: ${lastError})`);
    }
  }

  #dispatch(message: JobManagerMessage): void {
    const h = this.#handlers;
    switch (message.type) {
      case 'start':
        h.onStart();
        break;
      case 'stop':
        h.onStop(message.reason);
        break;
      case 'membership':
        h.onMembership(message.tasks);
        break;
      case 'ownership_lost':
        h.onOwnershipLost?.(message);
        break;
      case 'trigger_checkpoint':
        h.onTriggerCheckpoint(message.checkpointId);
        break;
      case 'end_of_input':
        h.onEndOfInput?.();
        break;
      case 'checkpoint_complete':
        h.onCheckpointComplete(message.checkpointId, message.offsets);
        break;
      case 'checkpoint_aborted':
        h.onCheckpointAborted(message.checkpointId);
        break;
      default:
        break;
    }
  }
}

/**
 * Opens one socket and registers, answering the JobManager's challenge; resolves with the job once
 * the JobManager accepts (and, with a secret, proved it holds it). Messages after registration go
 * to `dispatch`. A refusal (duplicate id, no or another secret) rejects with JOBMANAGER_REJECTED.
 */
function register(
  url: string,
  registration: Registration,
  dispatch: (message: JobManagerMessage) => void,
  secret?: Secret,
): Promise<Registered> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: 2000 });
    let registered = false;
    // A JobManager that accepts the socket but never answers must not hold the attempt forever.
    const timer = setTimeout(() => {
      if (registered) return;
      socket.terminate();
      reject(new Error('no answer to the registration within 5000ms'));
    }, 5000);
    /** This end's own challenge to the JobManager (with a secret). */
    const ownNonce = newNonce();
    const refuse = (reason: string) => {
      clearTimeout(timer);
      socket.close();
      reject(new SluiceError('JOBMANAGER_REJECTED', `TaskManager ${registration.taskManagerId}: ${reason}`));
    };
    socket.on('error', (error) => {
      if (!registered) {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      if (!registered) {
        clearTimeout(timer);
        reject(new Error('closed before registration'));
      }
    });
    socket.on('message', (data) => {
      let parsed: ReturnType<typeof JobManagerMessage.safeParse>;
      try {
        parsed = JobManagerMessage.safeParse(JSON.parse(String(data)));
      } catch {
        return;
      }
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'challenge') {
        if (secret === undefined) {
          send(socket, { type: 'register', ...registration });
          return;
        }
        if (!message.secured) {
          refuse(
            `the JobManager at ${url} asks for no cluster secret, but this TaskManager has one ` +
              '(SLUICE_CLUSTER_SECRET_FILE): it will not work for a JobManager that cannot prove it holds it. ' +
              'Fix: start the JobManager with the same --cluster-secret-file, or check the address.',
          );
          return;
        }
        const id = registration.taskManagerId;
        send(socket, {
          type: 'register',
          ...registration,
          auth: { proof: proofOf(secret.reveal(), 'taskmanager', message.nonce, id), nonce: ownNonce },
        });
      } else if (message.type === 'registered') {
        if (
          secret !== undefined &&
          !proves(secret.reveal(), 'jobmanager', ownNonce, registration.taskManagerId, message.proof)
        ) {
          refuse(
            `the JobManager at ${url} could not prove it holds this TaskManager's cluster secret: the two ` +
              'SLUICE_CLUSTER_SECRET_FILE files differ, or this is not your JobManager.',
          );
          return;
        }
        registered = true;
        clearTimeout(timer);
        resolve({ socket, job: message.job, subscribe: message.subscribe });
      } else if (message.type === 'rejected') {
        clearTimeout(timer);
        socket.close();
        reject(
          new SluiceError(
            'JOBMANAGER_REJECTED',
            `The JobManager refused TaskManager ${registration.taskManagerId}: ${message.reason}`,
          ),
        );
      } else if (registered) dispatch(message);
    });
  });
}

function send(socket: WebSocket, message: TaskManagerMessage): void {
  socket.send(JSON.stringify(message));
}

function toSocketUrl(url: string): string {
  const base = url.replace(/^http/, 'ws').replace(/\/+$/, '');
  return base.endsWith(TASKMANAGER_SOCKET_PATH) ? base : `${base}${TASKMANAGER_SOCKET_PATH}`;
}
