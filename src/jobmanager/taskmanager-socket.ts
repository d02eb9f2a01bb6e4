// The JobManager's end of the wire: one WebSocket per TaskManager. Every connection opens with a
// challenge; with a cluster secret, only a registration that proves it (cluster-auth.ts) is answered,
// with the job and the JobManager's own proof. Heartbeats and events update the registry; what a
// closed socket means is the JobManager's call.

import type { WebSocket } from 'ws';
import type { Secret } from '../config/secret.js';
import { newNonce, proofOf, proves } from '../protocol/cluster-auth.js';
import { type JobManagerMessage, type JobSpec, TaskManagerMessage } from '../protocol/messages.js';
import type { TaskManagerRegistry } from './taskmanager-registry.js';

export interface SocketContext {
  registry: TaskManagerRegistry;
  job: JobSpec;
  /** Set: a TaskManager registers only by proving it holds this secret. */
  secret?: Secret | undefined;
  /** A registration refused for its proof (who claimed to be whom, from where, why). */
  onRefused?: (taskManagerId: string, address: string | undefined, reason: string) => void;
  /** True once the group was told to start: late TaskManagers join at once. */
  groupStarted: () => boolean;
  /** `reconnected`: the same process registered again (its old connection may still look open). */
  onRegistered: (id: string, socket: WebSocket, reconnected: boolean) => void;
  /** A registered socket closed; the JobManager decides whether it was the TaskManager's current one. */
  onClosed: (id: string, socket: WebSocket) => void;
  onHeard: (id: string) => void;
  onCheckpointAck: (id: string, message: Extract<TaskManagerMessage, { type: 'checkpoint_ack' }>) => void;
  onCheckpointDecline: (
    id: string,
    message: Extract<TaskManagerMessage, { type: 'checkpoint_decline' }>,
  ) => void;
  onOwnership: (id: string, message: Extract<TaskManagerMessage, { type: 'ownership' }>) => void;
}

type Registration = Extract<TaskManagerMessage, { type: 'register' }>;

/**
 * Why a TaskManager may not run this job, or undefined: its job must be the JobManager's own build
 * (the same content hash). A TaskManager that names no job loads the JobManager's file and checks
 * the hash itself.
 */
export function jobMismatch(job: JobSpec, registration: Registration): string | undefined {
  const theirs = registration.job;
  if (!theirs) return undefined;
  if (theirs.name === job.job.name && theirs.buildHash === job.buildHash) return undefined;
  return (
    `its job is '${theirs.name}' build ${theirs.buildHash} (${theirs.file}), the JobManager runs '${job.job.name}' ` +
    `build ${job.buildHash} (${job.job.file}); deploy the same job code on every host`
  );
}

export function handleTaskManagerSocket(
  socket: WebSocket,
  context: SocketContext,
  remoteAddress?: string,
): void {
  let id: string | undefined;
  const nonce = newNonce();
  const secret = context.secret?.reveal();
  send(socket, { type: 'challenge', nonce, secured: secret !== undefined });
  socket.on('message', (data) => {
    let parsed: ReturnType<typeof TaskManagerMessage.safeParse>;
    try {
      parsed = TaskManagerMessage.safeParse(JSON.parse(String(data)));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'register') {
      if (
        secret !== undefined &&
        !proves(secret, 'taskmanager', nonce, message.taskManagerId, message.auth?.proof)
      ) {
        const reason = message.auth
          ? "its cluster secret is not the JobManager's: give both the same SLUICE_CLUSTER_SECRET_FILE"
          : 'this JobManager takes only TaskManagers that hold its cluster secret: set SLUICE_CLUSTER_SECRET_FILE ' +
            '(--cluster-secret-file) on the TaskManager to a copy of its secret file';
        context.onRefused?.(message.taskManagerId, remoteAddress, reason);
        send(socket, { type: 'rejected', reason });
        socket.close();
        return;
      }
      const mismatch = jobMismatch(context.job, message);
      if (mismatch) {
        send(socket, { type: 'rejected', reason: mismatch });
        socket.close();
        return;
      }
      const result = context.registry.register({ ...message, address: remoteAddress });
      if (!result.ok) {
        send(socket, { type: 'rejected', reason: result.reason });
        socket.close();
        return;
      }
      id = message.taskManagerId;
      context.onRegistered(id, socket, result.reconnected);
      send(socket, {
        type: 'registered',
        job: context.job,
        subscribe: context.groupStarted(),
        ...(secret !== undefined && message.auth
          ? { proof: proofOf(secret, 'jobmanager', message.auth.nonce, message.taskManagerId) }
          : {}),
      });
      return;
    }
    if (id === undefined) return;
    context.onHeard(id);
    switch (message.type) {
      case 'heartbeat':
        context.registry.heartbeat(id, message);
        break;
      case 'ownership':
        context.registry.ownership(id, message.at, message.kind, message.tasks);
        context.onOwnership(id, message);
        break;
      case 'task_resumed':
        context.registry.resumedAt(id, message.at, message.task);
        break;
      case 'checkpoint_ack':
        context.onCheckpointAck(id, message);
        break;
      case 'checkpoint_decline':
        context.onCheckpointDecline(id, message);
        break;
    }
  });
  socket.on('close', () => {
    if (id !== undefined) context.onClosed(id, socket);
  });
}

export function send(socket: WebSocket, message: JobManagerMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}
