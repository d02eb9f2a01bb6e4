// Tracks whether this TaskManager is ACTIVE (owns partitions) or IDLE (a group member with none)
// and says so in the seed's lines each time that changes, or when the number it owns changes.

import type { EventLog } from '../logging/event-log.js';
import type { TaskManagerStatus } from '../protocol/messages.js';

export class LoadStatus {
  readonly #events: EventLog;
  readonly #taskManagerId: string;
  #status: TaskManagerStatus = 'STARTING';
  #owned = 0;

  constructor(events: EventLog, taskManagerId: string) {
    this.#events = events;
    this.#taskManagerId = taskManagerId;
  }

  get status(): TaskManagerStatus {
    return this.#status;
  }

  joining(): void {
    if (this.#status === 'STARTING') this.#status = 'JOINING';
  }

  stopping(): void {
    this.#status = 'STOPPING';
  }

  /** After every assignment change: ACTIVE with the number owned, or IDLE when none is left. */
  owned(count: number): void {
    if (this.#status === 'STOPPING') return;
    if (count > 0) {
      if (this.#status !== 'ACTIVE' || count !== this.#owned) {
        this.#events.emit({
          type: 'taskmanager.load_status',
          taskManagerId: this.#taskManagerId,
          status: 'ACTIVE',
          partitions: count,
        });
      }
      this.#status = 'ACTIVE';
    } else if (this.#status === 'ACTIVE') {
      this.#idle();
    }
    this.#owned = count;
  }

  /** The broker lists us as a member of the group and we own nothing: we are IDLE, not joining. */
  memberWithoutPartitions(): void {
    if (this.#status === 'JOINING' && this.#owned === 0) this.#idle();
  }

  #idle(): void {
    this.#status = 'IDLE';
    this.#events.emit({
      type: 'taskmanager.load_status',
      taskManagerId: this.#taskManagerId,
      status: 'IDLE',
      partitions: 0,
    });
  }
}
