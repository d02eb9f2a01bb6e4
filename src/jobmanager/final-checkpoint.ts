// The checkpoint a job takes as it ends (its input done, Ctrl-C, idle): triggered until one
// completes, then waited for until every TaskManager that owns tasks has committed it (its
// transactions and the group's offsets), so stopping the TaskManagers loses nothing.

import { setTimeout as sleep } from 'node:timers/promises';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { LocalCluster } from './local-cluster.js';

export async function takeFinalCheckpoint(
  cluster: LocalCluster,
  options: { attempts?: number; commitTimeoutMs?: number; settleMs?: number } = {},
): Promise<CompletedCheckpoint | undefined> {
  const coordinator = cluster.jobManager.checkpoints;
  if (!coordinator) return undefined;
  // A task with two owners settles: a handover finishing, or a TaskManager whose consumer missed
  // its revocation told to go by the ownership watch (OWNERSHIP_GRACE_MS) and started again.
  const settled = Date.now() + (options.settleMs ?? 30_000);
  const live = () => cluster.registry.connected().some((t) => t.tasks.length > 0);
  while (cluster.jobManager.notReadyForCheckpoint() !== undefined && live() && Date.now() < settled)
    await sleep(250);
  // Nobody to acknowledge it (a service whose TaskManagers are all gone): the last one completed stands.
  if (cluster.jobManager.notReadyForCheckpoint() !== undefined) return undefined;
  let checkpoint: CompletedCheckpoint | undefined;
  for (let attempt = 0; attempt < (options.attempts ?? 5) && !checkpoint; attempt++)
    checkpoint = await coordinator.triggerCheckpoint();
  if (!checkpoint) return undefined;
  const id = checkpoint.id;
  const owners = () => cluster.registry.connected().filter((t) => t.tasks.length > 0);
  const deadline = Date.now() + (options.commitTimeoutMs ?? 15_000);
  while (Date.now() < deadline && !owners().every((t) => t.lastCommittedCheckpoint >= id)) await sleep(100);
  return checkpoint;
}
