// Watches the consumer group from the broker's side (describe group, once a second) and tells each
// TaskManager when the broker lists it as a member with a settled assignment. Under KIP-848 this is
// how an IDLE TaskManager learns it has joined: members given nothing get no rebalance callback.

import { setTimeout as sleep } from 'node:timers/promises';
import type { GroupDescriber, GroupView } from '../connectors/kafka/group-describer.js';

export interface MemberSettled {
  clientId: string;
  /** The member's partitions of the job's source topics, as task slots. */
  tasks: number[];
}

export interface GroupObserverOptions {
  describer: GroupDescriber;
  groupId: string;
  /** A source partition's task slot; undefined for a topic the job does not read. */
  slotOf: (topic: string, partition: number) => number | undefined;
  intervalMs?: number;
  /** Every view of the group the broker gave. */
  onView?: (view: GroupView) => void;
  /** A member whose assignment was the same, and settled, in two describes in a row. */
  onSettled: (member: MemberSettled) => void;
  /**
   * True while a member has not yet acted on its settled assignment: it is told again at every
   * describe, not once. A notice can be lost (it arrived before the member could use it, or its
   * connection was being replaced), and an IDLE member gets nothing else that would tell it.
   */
  awaitsNotice?: (clientId: string) => boolean;
}

export class GroupObserver {
  readonly #o: GroupObserverOptions;
  #running = false;
  #loop: Promise<void> | undefined;
  /** clientId → assignment key seen in the previous describe (settled ones only). */
  #previous = new Map<string, string>();
  /** clientId → assignment key last reported, so each change is reported once. */
  readonly #reported = new Map<string, string>();

  constructor(options: GroupObserverOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        this.#handle(await this.#o.describer.describe(this.#o.groupId, 3000));
      } catch {
        // Retried at the next tick (the describer restarts itself if its process died).
      }
      await sleep(this.#o.intervalMs ?? 1000);
    }
  }

  #handle(view: GroupView): void {
    this.#o.onView?.(view);
    const current = new Map<string, string>();
    for (const member of view.members) {
      // The coordinator has settled what it wants this member to have (KIP-848), or there is no target (classic).
      const slots = (tps: readonly { topic: string; partition: number }[]) =>
        tps.map((p) => this.#o.slotOf(p.topic, p.partition)).filter((s): s is number => s !== undefined);
      const settled =
        member.targetPartitions === undefined ||
        key(slots(member.targetPartitions)) === key(slots(member.partitions));
      if (!settled) continue;
      const tasks = slots(member.partitions);
      const assignment = key(tasks);
      current.set(member.clientId, assignment);
      if (
        this.#previous.get(member.clientId) === assignment &&
        (this.#reported.get(member.clientId) !== assignment || this.#o.awaitsNotice?.(member.clientId))
      ) {
        this.#reported.set(member.clientId, assignment);
        this.#o.onSettled({ clientId: member.clientId, tasks });
      }
    }
    this.#previous = current;
  }
}

function key(partitions: number[]): string {
  return [...partitions].sort((a, b) => a - b).join(',');
}
