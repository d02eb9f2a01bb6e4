// `--stop-when-idle`: a job is idle once no input arrived for the given time and everything read is
// committed — no source partition's end offset and no task's position moved for that long, every
// task is owned, and the TaskManagers committed a checkpoint that holds exactly those positions.
// (Checkpoints go on while idle, with the same positions: the first one that matched is the one
// whose commit proves it; later ids need not be confirmed.)

import { setTimeout as sleep } from 'node:timers/promises';
import type { JobManager } from './job-manager.js';

export async function waitUntilIdle(
  jobManager: JobManager,
  idleMs: number,
  stopped: () => boolean,
  now: () => number = Date.now,
  /** Only a checkpoint after this one proves idleness (one taken after the input ended). */
  afterCheckpoint = 0,
): Promise<boolean> {
  let signature = '';
  let since = now();
  /** The first completed checkpoint with the current positions. */
  let matching: number | undefined;
  while (!stopped()) {
    const offsets = await jobManager.offsets();
    const owners = jobManager.registry.owners();
    const slots = jobManager.slots.all();
    const positions = slots.map((slot) => {
      const owner = owners.get(slot.slot)?.[0];
      const report = owner
        ? jobManager.registry.get(owner)?.taskReports.find((r) => r.task === slot.slot)
        : undefined;
      return report?.position;
    });
    const ends = slots.map((slot) => offsets?.end.get(slot.slot));
    const current = JSON.stringify([positions, ends]);
    if (current !== signature) {
      signature = current;
      since = now();
      matching = undefined;
    }
    const last = jobManager.checkpoints?.stats.lastCompleted;
    if (
      matching === undefined &&
      last !== undefined &&
      last.id > afterCheckpoint &&
      positions.every((p, slot) => p !== undefined && last.tasks.find((t) => t.task === slot)?.position === p)
    )
      matching = last.id;
    const committed =
      matching !== undefined &&
      jobManager.registry
        .connected()
        .every((t) => t.tasks.length === 0 || t.lastCommittedCheckpoint >= (matching ?? 0));
    if (committed && now() - since >= idleMs) return true;
    await sleep(Math.min(500, idleMs));
  }
  return false;
}
