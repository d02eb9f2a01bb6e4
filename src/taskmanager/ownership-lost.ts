// The error a TaskManager stops with when the JobManager says the broker gave its tasks to other
// members long ago (jobmanager/ownership-watch.ts): its consumer missed its own revocation.

import { SluiceError } from '../errors/sluice-error.js';

export function ownershipLostError(
  taskManagerId: string,
  notice: { tasks: number[]; owners: string[]; forMs: number },
): SluiceError {
  const { tasks, owners, forMs } = notice;
  return new SluiceError(
    'TASKMANAGER_OWNERSHIP_LOST',
    `TaskManager ${taskManagerId} still held tasks ${tasks.join(', ')} ${Math.round(forMs / 1000)} s after the ` +
      `broker gave them to ${owners.join(', ')}: its consumer missed its own revocation. It exits so that ` +
      'it is started again with a new consumer; its writes were fenced, so nothing was counted twice.',
    { details: { tasks, owners, forMs } },
  );
}
