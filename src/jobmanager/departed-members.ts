// A TaskManager whose connection its peer closed has, almost always, ended: the kernel closes a
// dead process's sockets (kill -9, a crash, an exit that never said goodbye). Its consumer's
// group membership outlives it until the broker's session timeout expires, and its partitions wait
// that long. The JobManager removes the membership at once (a LeaveGroup on its behalf), so another
// TaskManager gets the partitions in the time of a rebalance — Flink's JobMaster likewise releases
// a TaskExecutor's slots as soon as its ResourceManager reports the process gone.
//
// Only when the TaskManager's own side closed the connection: one the JobManager closed itself
// (silent past the heartbeat timeout: maybe a stuck event loop, maybe a cut link) is left to the
// broker and the TaskManager's watchdog, and one that said it is stopping leaves the group itself.
// Removing a member that is still alive is safe, only wasteful: its next heartbeat is fenced, its
// transactions and state writes with it, and it joins again.

import type { GroupMemberView } from '../connectors/kafka/group-describer.js';
import type { GroupMemberRemover } from '../connectors/kafka/group-member-removal.js';
import { describeCause } from '../errors/sluice-error.js';

export interface DepartedMembersOptions {
  groupId: string;
  remover: GroupMemberRemover;
  /** The group's members as last described (the JobManager reads it every second). */
  lastSeen: () => readonly GroupMemberView[] | undefined;
  /** A fresh description, when the last one lists no member of the departed TaskManager. */
  describe: () => Promise<readonly GroupMemberView[]>;
  onRemoved: (taskManagerId: string, memberIds: string[], ms: number) => void;
  onFailed: (taskManagerId: string, reason: string) => void;
  now?: () => number;
}

export class DepartedMembers {
  readonly #o: DepartedMembersOptions;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: DepartedMembersOptions) {
    this.#o = options;
  }

  /**
   * Removes the group members of a TaskManager that is gone (its consumer's client id). The last
   * description is read first: taken before the process ended, it cannot list a member of the
   * process that replaces it under the same id, which is still starting.
   */
  departed(taskManagerId: string, clientId: string): void {
    const work = this.#remove(taskManagerId, clientId);
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  /** Resolves once every removal under way has ended (the JobManager's close waits for them). */
  async settled(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  async #remove(taskManagerId: string, clientId: string): Promise<void> {
    const now = this.#o.now ?? Date.now;
    const started = now();
    try {
      let ids = memberIdsOf(this.#o.lastSeen() ?? [], clientId);
      if (ids.length === 0) ids = memberIdsOf(await this.#o.describe(), clientId);
      // Not a member (it never joined, or already left): nothing waits for a session timeout.
      if (ids.length === 0) return;
      await this.#o.remover.remove(
        this.#o.groupId,
        ids,
        `Sluice JobManager: TaskManager ${taskManagerId}'s process ended`,
      );
      this.#o.onRemoved(taskManagerId, ids, now() - started);
    } catch (error) {
      this.#o.onFailed(taskManagerId, describeCause(error));
    }
  }
}

function memberIdsOf(members: readonly GroupMemberView[], clientId: string): string[] {
  return members.filter((m) => m.clientId === clientId).map((m) => m.memberId);
}
