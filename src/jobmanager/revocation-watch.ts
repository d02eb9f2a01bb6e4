// Finds a member that keeps partitions the group's coordinator has moved away from it. Under
// KIP-848 the coordinator sets each member's target assignment; a partition leaves its owner only
// once that owner's client revoked it (a rebalance callback in the TaskManager, which hands the
// task over) and said so in a heartbeat. A member whose client never does holds the partition from
// its new owner until the broker's rebalance timeout (the member's max.poll.interval.ms, 5 min by
// default) fences it, and the group never finishes distributing meanwhile. Seen once
// (2026-12-07, `bench latency`): TM-04 kept the 4 partitions its first assignment gave it for the
// 53 s the run waited, while 3 TaskManagers had none. Saying so, with the partitions and for how
// long, turns a silent stall into a named one.
//
// Invariant: a member is reported once per set of partitions it holds against its target, after
// it has held exactly that set for `afterMs` in consecutive describes.

import type { GroupView } from '../connectors/kafka/group-describer.js';

export interface UnrevokedPartitions {
  readonly clientId: string;
  /** Task slots of the partitions it holds that its target assignment no longer has. */
  readonly tasks: readonly number[];
  /** Since when (epoch ms) the describes have shown it holding them. */
  readonly since: number;
}

export interface RevocationWatchOptions {
  /** How long a member may hold partitions moved away from it before it is reported. */
  afterMs: number;
  slotOf: (topic: string, partition: number) => number | undefined;
  onUnrevoked: (stuck: UnrevokedPartitions) => void;
  now?: () => number;
}

export class RevocationWatch {
  readonly #o: RevocationWatchOptions;
  /** clientId → the partitions it holds against its target (as a key) and since when. */
  #holding = new Map<string, { key: string; since: number; reported: boolean }>();

  constructor(options: RevocationWatchOptions) {
    this.#o = options;
  }

  observe(view: GroupView): void {
    const now = (this.#o.now ?? Date.now)();
    const next = new Map<string, { key: string; since: number; reported: boolean }>();
    for (const member of view.members) {
      // A classic member has no target: the classic protocol revokes in its own rounds.
      if (member.targetPartitions === undefined) continue;
      const target = new Set(this.#slots(member.targetPartitions));
      const held = this.#slots(member.partitions).filter((s) => !target.has(s));
      if (held.length === 0) continue;
      const key = held.join(',');
      const before = this.#holding.get(member.clientId);
      const entry = before?.key === key ? before : { key, since: now, reported: false };
      if (!entry.reported && now - entry.since >= this.#o.afterMs) {
        entry.reported = true;
        this.#o.onUnrevoked({ clientId: member.clientId, tasks: held, since: entry.since });
      }
      next.set(member.clientId, entry);
    }
    this.#holding = next;
  }

  #slots(partitions: readonly { topic: string; partition: number }[]): number[] {
    return partitions
      .map((p) => this.#o.slotOf(p.topic, p.partition))
      .filter((s): s is number => s !== undefined)
      .sort((a, b) => a - b);
  }
}
