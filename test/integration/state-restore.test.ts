// A windowed job stopped mid-stream (SIGTERM: a clean stop, windows still open), its TaskManagers'
// local state directory deleted — a host's disk lost — and run again on the rest of the input: the
// open windows' state comes back from the changelog topics alone, and every window of the whole
// input is emitted once with the count an offline computation gives (read read_committed).

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertWindows, clusterSuite, produceEvents, runArgs, sluiceRunEnv } from '../helpers/cluster-run.js';
import { startSluice } from '../helpers/sluice-process.js';
import { eventually, projectRoot, uniqueName } from '../helpers/test-env.js';
import { countWindows, type Event, makeEvents } from '../helpers/window-oracle.js';

const jobFile = path.join(projectRoot, 'dist', 'test', 'fixtures', 'window-count-job.js');

describe('state restored from the changelog alone', { timeout: 300_000 }, () => {
  const { admin, topics, dirs } = clusterSuite('test-state-restore');
  const name = uniqueName('rst');
  const input = `${name}-events`;
  const output = `${name}-counts`;
  const stateDir = path.join(os.tmpdir(), `${name}-state`);
  topics.push(input, output, `${input}.dlq`);
  dirs.push(stateDir);

  it('after a clean stop and a lost local state directory, every window of the whole input once', async () => {
    await admin.createTopic(input, 4);
    const events: Event[] = makeEvents(6000, 30, 7, 80, 3);
    const first = events.slice(0, 3000);
    const rest = events.slice(3000);
    const produce = (batch: Event[]) => produceEvents(input, batch, `${name}-input`);
    const args = (...more: string[]) =>
      runArgs(jobFile, { taskManagers: 2, group: `${name}-group`, params: { input, output }, more });
    const env = sluiceRunEnv(stateDir);
    const log = path.join(os.tmpdir(), `${name}-run.log`);

    await produce(first);
    const one = startSluice('sluice run (1)', args(), { env, logFile: log });
    const started = await one.waitForEvent('jobmanager.started', undefined, 90_000);
    // Everything of the first half read and committed, windows still open; the clean stop's final
    // checkpoint then holds what the window stage read from the repartition topic too.
    await eventually(
      'the first half committed',
      async () => {
        const body = (await fetch(`${String(started.url)}/partitions`).then((r) => r.json())) as {
          partitions: { topic: string; committedOffset: number | null; endOffset: number | null }[];
        };
        const sources = body.partitions.filter((p) => p.topic === input);
        return sources.length === 4 &&
          sources.every((p) => p.endOffset !== null && p.committedOffset === p.endOffset)
          ? true
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await one.stop('SIGTERM', 60_000);
    assert.equal((await one.exited).code, 0, `the first run stopped cleanly; log in ${log}`);

    // The host's disk is lost: only Kafka holds the state now.
    rmSync(stateDir, { recursive: true, force: true });
    await produce(rest);
    const two = startSluice('sluice run (2)', args('--stop-when-idle', '5s'), { env, logFile: log });
    const exit = await Promise.race([
      two.exited,
      sleep(180_000, undefined, { ref: false }).then(() => {
        throw new Error(`the second run did not stop when idle; log in ${log}`);
      }),
    ]);
    assert.equal(exit.code, 0, `the second run exited ${exit.code}; log in ${log}`);
    const restored = two.records
      .filter((r) => r.event === 'taskmanager.state_restored')
      .reduce((n, r) => n + Number(r.records), 0);
    assert.ok(restored > 0, 'the second run restored state from the changelog');

    await assertWindows(output, countWindows(events, { kind: 'tumbling', size: 1000 }), `log in ${log}`);
  });
});
