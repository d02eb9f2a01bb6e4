// A TaskManager's local state disk fills up under a windowed job: its store's next write fails.
// The TaskManager says so (the directory, the cause, the space left, what happens next), gives its
// partitions up and exits; the other TaskManager restores those tasks from the changelog, and every
// window of the whole input is emitted once with the count an offline computation gives (read
// read_committed). Each TaskManager's state directory is a small disk of its own (a tmpfs: needs
// root, as the tests run in CI; skipped with the reason elsewhere); the broker decides which of them
// gets the stateful tasks, and that one's disk is filled.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertWindows, clusterSuite, produceEvents, runArgs, sluiceRunEnv } from '../helpers/cluster-run.js';
import { startSluice, stopAllSluice } from '../helpers/sluice-process.js';
import { eventually, projectRoot, uniqueName } from '../helpers/test-env.js';
import { countWindows, type Event, makeEvents } from '../helpers/window-oracle.js';

const jobFile = path.join(projectRoot, 'dist', 'test', 'fixtures', 'window-count-job.js');

/** Writes a file until the disk refuses more: what is left free afterwards is nothing. */
function fillDisk(dir: string): void {
  const fd = openSync(path.join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe('a TaskManager whose state disk fills up', { timeout: 300_000 }, () => {
  const { admin, topics } = clusterSuite('test-state-disk-full');
  const name = uniqueName('dfull');
  const input = `${name}-events`;
  const output = `${name}-counts`;
  const stateDir = path.join(os.tmpdir(), `${name}-state`);
  // TaskManagers keep their stores under <SLUICE_STATE_DIR>/state/<id>/ (task-state.ts).
  const disks = new Map(['TM-01', 'TM-02'].map((id) => [id, path.join(stateDir, 'state', id)]));
  const mounted: string[] = [];
  topics.push(input, output, `${input}.dlq`);
  after(async () => {
    await stopAllSluice();
    for (const dir of mounted) spawnSync('umount', ['-l', dir]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('gives the partitions up with a clear error; the other TaskManager restores them; every window once', async (t) => {
    for (const dir of disks.values()) {
      mkdirSync(dir, { recursive: true });
      const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { encoding: 'utf8' });
      if (mount.status !== 0) {
        t.skip(`a small disk cannot be mounted here (root needed): ${mount.stderr.trim()}`);
        return;
      }
      mounted.push(dir);
    }
    await admin.createTopic(input, 4);
    // Few users first; then many new ones, whose windows need new pages in every store.
    const first = makeEvents(3000, 30, 11, 80, 3);
    const rest = makeEvents(6000, 3000, 12, 80, 3).map((e, i) => ({ ...e, t: e.t + 9000, n: 3000 + i }));
    const events: Event[] = [...first, ...rest];
    const produce = (batch: Event[]) => produceEvents(input, batch, `${name}-input`);
    const log = path.join(os.tmpdir(), `${name}-run.log`);
    // Input first: the run stops once it is idle.
    await produce(first);
    const run = startSluice(
      'sluice run',
      runArgs(jobFile, {
        taskManagers: 2,
        group: `${name}-group`,
        params: { input, output },
        // Idle long enough that the wait for the first part's commit, the fill and the second
        // part's writing never look like the end of the input (it then closes every window).
        more: ['--stop-when-idle', '15s'],
      }),
      { env: { ...sluiceRunEnv(stateDir), SLUICE_RESTART_TASKMANAGERS: 'false' }, logFile: log },
    );
    const started = await run.waitForEvent('jobmanager.started', undefined, 90_000);
    // The first part committed everywhere, state on disk: the TaskManager that holds state then (the
    // broker decides which) has its disk filled up.
    const holder = await eventually(
      'the first part committed, and a TaskManager holding state',
      async () => {
        const body = (await fetch(`${String(started.url)}/partitions`).then((r) => r.json())) as {
          partitions: {
            topic: string;
            owner: string | null;
            committedOffset: number | null;
            endOffset: number | null;
            stateEntries: number | null;
          }[];
        };
        const sources = body.partitions.filter((p) => p.topic === input);
        const owner = body.partitions.find((p) => (p.stateEntries ?? 0) > 0)?.owner;
        return sources.length === 4 &&
          sources.every((p) => (p.endOffset ?? 0) > 0 && p.committedOffset === p.endOffset) &&
          owner
          ? owner
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const small = disks.get(holder);
    const other = [...disks.keys()].find((id) => id !== holder);
    assert.ok(small && other, `one of the two TaskManagers holds state: ${holder}`);
    fillDisk(small);
    await produce(rest);

    const failed = await run.waitForEvent('taskmanager.state_disk_failed', undefined, 90_000);
    assert.equal(failed.taskManagerId, holder, `log in ${log}`);
    const said = String(failed.error);
    assert.match(said, /SLUICE_ERR_STATE_STORE_FAILED/);
    assert.ok(said.includes(small), `the error names the directory: ${said}`);
    assert.match(said, /free of/, `the error says the space left: ${said}`);
    assert.match(said, /SLUICE_STATE_DIR/, `the error names the setting: ${said}`);
    const exited = await run.waitForEvent(
      'jobmanager.taskmanager_exited',
      (r) => r.taskManagerId === holder,
      60_000,
    );
    assert.notEqual(exited.code, 0, `${holder} exited with an error`);

    const exit = await Promise.race([
      run.exited,
      sleep(180_000, undefined, { ref: false }).then(() => {
        throw new Error(`the run did not stop when idle; log in ${log}`);
      }),
    ]);
    assert.equal(exit.code, 0, `the run exited ${exit.code}; log in ${log}`);
    const restoredThere = run.records.filter(
      (r) => r.event === 'taskmanager.state_restored' && r.taskManagerId === other && Number(r.records) > 0,
    );
    assert.ok(
      restoredThere.length > 0,
      `${other} restored ${holder}'s tasks from the changelog; log in ${log}`,
    );
    await assertWindows(output, countWindows(events, { kind: 'tumbling', size: 1000 }), `log in ${log}`);
  });
});
