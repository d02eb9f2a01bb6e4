// The JobManager's end of the wire: one WebSocket per TaskManager. Registration answers with the
// job; heartbeats and events update the registry; what a closed socket means is the JobManager's call.

import type { WebSocket } from 'ws';
import { type JobManagerMessage, type JobSpec, TaskManagerMessage } from '../protocol/messages.js';
import type { TaskManagerRegistry } from './taskmanager-registry.js';

export interface SocketContext {
  registry: TaskManagerRegistry;
  job: JobSpec;
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
  onEvent: (id: string, event: { type: string; [key: string]: unknown }) => void;
}

export function handleTaskManagerSocket(
  socket: WebSocket,
  context: SocketContext,
  remoteAddress?: string,
): void {
  let id: string | undefined;
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
      const result = context.registry.register({ ...message, address: remoteAddress });
      if (!result.ok) {
        send(socket, { type: 'rejected', reason: result.reason });
        socket.close();
        return;
      }
      id = message.taskManagerId;
      context.onRegistered(id, socket, result.reconnected);
      send(socket, { type: 'registered', job: context.job, subscribe: context.groupStarted() });
      return;
    }
    if (id === undefined) return;
    context.onHeard(id);
    switch (message.type) {
      case 'heartbeat':
        context.registry.heartbeat(id, message);
        break;
      case 'event':
        context.registry.event(id, message.at, message.event);
        context.onEvent(id, message.event);
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
