// Describes consumer groups (members, their assignments, state) and reads their committed offsets
// without risking this process: the work runs in a child process (group-describer-child.ts) that
// is restarted if the native client crashes in it. A crashed request fails with a retriable
// KAFKA_ADMIN_FAILED.

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../../errors/sluice-error.js';
import { baseClientConfig, type KafkaClientOptions } from './client-config.js';
import type { GroupDescription } from './rdkafka.js';

export interface GroupMemberView {
  memberId: string;
  clientId: string;
  host: string;
  partitions: { topic: string; partition: number }[];
  /** KIP-848: what the coordinator wants the member to own (undefined for classic groups). */
  targetPartitions: { topic: string; partition: number }[] | undefined;
}

export interface GroupView {
  groupId: string;
  /** STABLE, EMPTY, ... as the broker reports it; DEAD when the broker does not know the group. */
  state: string;
  /** CONSUMER (KIP-848) or CLASSIC. */
  type: string;
  members: GroupMemberView[];
}

interface Reply {
  id: number;
  ok: boolean;
  group?: GroupDescription;
  offsets?: [number, number][];
  error?: string;
}

export class GroupDescriber {
  readonly #options: KafkaClientOptions;
  #child: ChildProcess | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (r: Reply) => void; timer: NodeJS.Timeout }>();
  #closed = false;

  constructor(options: KafkaClientOptions) {
    this.#options = options;
  }

  async describe(groupId: string, timeoutMs = 5000): Promise<GroupView> {
    const reply = await this.#ask({ type: 'describe', groupId, timeoutMs }, timeoutMs);
    if (!reply.ok) {
      throw new SluiceError(
        'KAFKA_ADMIN_FAILED',
        `Could not describe group '${groupId}' on ${this.#options.bootstrapServers}: ${reply.error}. Retry shortly.`,
      );
    }
    return toView(groupId, reply.group);
  }

  /** The group's committed offsets for the topic's partitions (-1001 = none committed). */
  async committedOffsets(
    groupId: string,
    topic: string,
    partitions: number,
    timeoutMs = 5000,
  ): Promise<Map<number, number>> {
    const reply = await this.#ask({ type: 'committed', groupId, topic, partitions, timeoutMs }, timeoutMs);
    if (!reply.ok) {
      throw new SluiceError(
        'KAFKA_ADMIN_FAILED',
        `Could not read the committed offsets of group '${groupId}' on ${this.#options.bootstrapServers}: ${reply.error}. Retry shortly.`,
      );
    }
    return new Map(reply.offsets ?? []);
  }

  async #ask(request: Record<string, unknown>, timeoutMs: number): Promise<Reply> {
    if (this.#closed) throw new Error('GroupDescriber is closed');
    const child = this.#ensureChild();
    const id = this.#nextId++;
    return new Promise<Reply>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({ id, ok: false, error: `no answer within ${timeoutMs + 2000}ms` });
      }, timeoutMs + 2000);
      this.#pending.set(id, { resolve, timer });
      child.send({ ...request, id });
    });
  }

  close(): void {
    this.#closed = true;
    this.#child?.disconnect();
    this.#child = undefined;
  }

  #ensureChild(): ChildProcess {
    if (this.#child?.connected) return this.#child;
    const script = fileURLToPath(new URL('./group-describer-child.js', import.meta.url));
    // The client settings (credentials among them) go over the IPC channel, never in argv, which
    // every user of the host can read (ps).
    const child = fork(script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    child.send({
      type: 'init',
      config: baseClientConfig({ ...this.#options, clientId: `${this.#options.clientId}-describer` }),
    });
    child.on('message', (reply: Reply) => {
      const waiting = this.#pending.get(reply.id);
      if (!waiting) return;
      clearTimeout(waiting.timer);
      this.#pending.delete(reply.id);
      waiting.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined;
      // Fail what it was answering; the next call starts a new child.
      for (const [id, waiting] of this.#pending) {
        clearTimeout(waiting.timer);
        waiting.resolve({
          id,
          ok: false,
          error: `the describe process exited (${signal ?? `code ${code}`})`,
        });
      }
      this.#pending.clear();
    });
    this.#child = child;
    return child;
  }
}

const STATES = ['UNKNOWN', 'PREPARING_REBALANCE', 'COMPLETING_REBALANCE', 'STABLE', 'DEAD', 'EMPTY'];
const TYPES = ['UNKNOWN', 'CONSUMER', 'CLASSIC'];

function toView(groupId: string, group: GroupDescription | undefined): GroupView {
  if (!group) return { groupId, state: 'DEAD', type: 'UNKNOWN', members: [] };
  const sorted = (tps: { topic: string; partition: number }[] | undefined) =>
    (tps ?? [])
      .map((tp) => ({ topic: tp.topic, partition: tp.partition }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return {
    groupId,
    state: STATES[group.state] ?? String(group.state),
    type: group.type === undefined ? 'UNKNOWN' : (TYPES[group.type] ?? String(group.type)),
    members: group.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      partitions: sorted(m.assignment?.topicPartitions),
      targetPartitions: m.targetAssignment ? sorted(m.targetAssignment.topicPartitions) : undefined,
    })),
  };
}
