// Compares what TaskManagers say they own with what the broker says each group member owns. A
// TaskManager that keeps claiming a task the broker has given to another member has a consumer that
// missed its own revocation (seen once after a broker restart: it stopped consuming and never got a
// revoke or lost callback). Its writes are fenced, so nothing is counted twice, but it holds the
// run back (its tasks never go idle) and the dashboard shows two owners. After a grace long enough
// for any real handover, the JobManager tells it so, and it exits to be started again.

/** A group member as the broker lists it: its client id and the tasks (slots) it owns now. */
export interface BrokerMember {
  readonly clientId: string;
  readonly tasks: readonly number[];
}

/** A live TaskManager as its heartbeats describe it. */
export interface ClaimingTaskManager {
  readonly id: string;
  readonly clientId: string;
  readonly tasks: readonly number[];
}

export interface OwnershipConflict {
  readonly taskManagerId: string;
  /** The tasks it claims that the broker gives to another member. */
  readonly tasks: number[];
  /** The client ids of the members the broker gives them to. */
  readonly owners: string[];
  /** How long the conflict has lasted. */
  readonly forMs: number;
}

/**
 * The broker puts a partition in another member's current assignment only once the old owner
 * acknowledged its revocation or was expelled (its session expired): from then on the old owner's
 * claim is stale. What is left is the lag of what the JobManager sees — a heartbeat and a describe,
 * once a second each, on a loaded host: 10 s is well past it.
 */
export const OWNERSHIP_GRACE_MS = 10_000;

export class OwnershipWatch {
  readonly #graceMs: number;
  /** TaskManager id → when its current conflict was first seen (or last reported). */
  readonly #since = new Map<string, number>();

  constructor(graceMs = OWNERSHIP_GRACE_MS) {
    this.#graceMs = graceMs;
  }

  /**
   * One describe of the group against the TaskManagers' claims: the conflicts that lasted the grace.
   * Each is reported once per grace while it lasts (a notice can be lost on a reconnecting socket).
   */
  check(
    members: readonly BrokerMember[],
    claims: readonly ClaimingTaskManager[],
    now: number,
  ): OwnershipConflict[] {
    const ownerOf = new Map<number, string>();
    for (const m of members) for (const task of m.tasks) ownerOf.set(task, m.clientId);
    const conflicts: OwnershipConflict[] = [];
    const inConflict = new Set<string>();
    for (const tm of claims) {
      const taken = tm.tasks.filter((t) => {
        const owner = ownerOf.get(t);
        return owner !== undefined && owner !== tm.clientId;
      });
      if (taken.length === 0) continue;
      inConflict.add(tm.id);
      const since = this.#since.get(tm.id) ?? now;
      this.#since.set(tm.id, since);
      if (now - since < this.#graceMs) continue;
      conflicts.push({
        taskManagerId: tm.id,
        tasks: taken,
        owners: [...new Set(taken.map((t) => ownerOf.get(t) as string))],
        forMs: now - since,
      });
      this.#since.set(tm.id, now);
    }
    for (const id of this.#since.keys()) if (!inConflict.has(id)) this.#since.delete(id);
    return conflicts;
  }
}
