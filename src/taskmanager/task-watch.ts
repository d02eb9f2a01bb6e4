// What a TaskManager says of tasks that cannot move on, on its heartbeat's timer: a task waiting on
// the outside for more than 10 s says on what (once per 10 s); a task whose retried call keeps
// failing for 3 s (Redis out of memory, a sink refusing writes) says so once, and again when the
// call lands. The heartbeat carries the blocked state itself to the dashboard and /metrics.

import type { EventLog } from '../logging/event-log.js';
import type { Task } from '../runtime/task.js';

/** How long a task may wait on a call before it says so, and how often it says it again. */
const STALL_REPORT_MS = 10_000;
/** How long a call must have kept failing before the task is announced blocked. */
const BLOCKED_REPORT_MS = 3000;

export class TaskWatch {
  readonly #events: EventLog;
  readonly #taskManagerId: string;
  /** Called with a stalled task's line (the TaskManager's consume-error path, throttled there too). */
  readonly #stalled: (line: string) => void;
  readonly #stallReported = new Map<string, number>();
  /** Tasks announced as blocked, and on what. */
  readonly #blockedReported = new Map<string, { what: string; since: number }>();

  constructor(events: EventLog, taskManagerId: string, stalled: (line: string) => void) {
    this.#events = events;
    this.#taskManagerId = taskManagerId;
    this.#stalled = stalled;
  }

  check(tasks: readonly Task[], now = Date.now()): void {
    this.#reportBlocked(tasks, now);
    for (const task of tasks) {
      const stall = task.waitingLongerThan(STALL_REPORT_MS, now);
      if (!stall || now - (this.#stallReported.get(task.id) ?? 0) < STALL_REPORT_MS) continue;
      this.#stallReported.set(task.id, now);
      this.#stalled(`task ${task.id}: ${stall.what} has not returned for ${Math.round(stall.ms / 1000)} s`);
    }
  }

  #reportBlocked(tasks: readonly Task[], now: number): void {
    const seen = new Set<string>();
    for (const task of tasks) {
      const blocked = task.blocked();
      if (!blocked) continue;
      seen.add(task.id);
      const known = this.#blockedReported.get(task.id);
      if (known?.since === blocked.since || now - blocked.since < BLOCKED_REPORT_MS) continue;
      this.#blockedReported.set(task.id, { what: blocked.what, since: blocked.since });
      this.#events.emit({
        type: 'taskmanager.task_blocked',
        taskManagerId: this.#taskManagerId,
        task: task.id,
        what: blocked.what,
        error: blocked.error.slice(0, 300),
        ms: Math.round((now - blocked.since) / 1000) * 1000,
      });
    }
    const owned = new Set(tasks.map((t) => t.id));
    for (const [task, known] of this.#blockedReported) {
      if (seen.has(task)) continue;
      this.#blockedReported.delete(task);
      // A task released while blocked did not move on here: its new owner says so.
      if (!owned.has(task)) continue;
      this.#events.emit({
        type: 'taskmanager.task_unblocked',
        taskManagerId: this.#taskManagerId,
        task,
        what: known.what,
        ms: Math.round((now - known.since) / 100) * 100,
      });
    }
  }
}
