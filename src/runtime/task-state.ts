// The life of a task (one partition owned by one TaskManager), as an enum of legal transitions.
//
//   CREATED ──▶ RESTORING ──▶ RUNNING ──▶ SUSPENDED ──▶ CLOSED        (revoked: clean hand-over)
//      │            │            │            │
//      └────────────┴────────────┴────────────┴──────▶ CLOSED_DIRTY   (lost or fenced: no more writes)
//
// RESTORING claims the partition in the sink (new fencing epoch, resume position). SUSPENDED waits
// for the batch in flight to be applied before the partition is released. A task never comes back
// from CLOSED or CLOSED_DIRTY: a partition that returns gets a new task.

export type TaskState = 'CREATED' | 'RESTORING' | 'RUNNING' | 'SUSPENDED' | 'CLOSED' | 'CLOSED_DIRTY';

const LEGAL: Record<TaskState, readonly TaskState[]> = {
  CREATED: ['RESTORING', 'CLOSED_DIRTY'],
  RESTORING: ['RUNNING', 'CLOSED_DIRTY'],
  RUNNING: ['SUSPENDED', 'CLOSED_DIRTY'],
  SUSPENDED: ['CLOSED', 'CLOSED_DIRTY'],
  CLOSED: [],
  CLOSED_DIRTY: [],
};

export function canTransition(from: TaskState, to: TaskState): boolean {
  return LEGAL[from].includes(to);
}

export class IllegalTaskTransition extends Error {
  constructor(taskId: string, from: TaskState, to: TaskState) {
    super(`Task ${taskId} cannot go from ${from} to ${to}`);
    this.name = 'IllegalTaskTransition';
  }
}

export function isClosed(state: TaskState): boolean {
  return state === 'CLOSED' || state === 'CLOSED_DIRTY';
}
