// An example job run as its README shows, on the real broker: input from examples/make-input.mjs
// through `sluice produce`, then `sluice run examples/page-view-counts.ts --stop-when-idle` (the .ts
// file itself, loaded as a user's job is). Its windows, read back by an independent read_committed
// reader, equal an offline count over the same input — with the source's default idleness, so the
// job must also go idle and stop by itself.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterSuite, runArgs, sluiceRunEnv } from '../helpers/cluster-run.js';
import { readCommitted } from '../helpers/committed-reader.js';
import { startSluice } from '../helpers/sluice-process.js';
import { projectRoot, uniqueName } from '../helpers/test-env.js';

const bin = path.join(projectRoot, 'bin', 'sluice.js');

describe('the examples on the cluster', { timeout: 300_000 }, () => {
  const { topics, dirs } = clusterSuite('test-examples');
  const stateDir = path.join(os.tmpdir(), uniqueName('examples-state'));
  dirs.push(stateDir);
  const env = { ...process.env, ...sluiceRunEnv(stateDir) };

  it('page-view-counts: every 10 s window of every user, once, as an offline count', async () => {
    const name = uniqueName('pv');
    const input = `${name}-views`;
    const output = `${name}-counts`;
    topics.push(input, output, `${input}.dlq`);
    const lines = execFileSync(
      process.execPath,
      [path.join(projectRoot, 'examples', 'make-input.mjs'), 'page-views', '5000'],
      {
        encoding: 'utf8',
      },
    );
    const produced = spawnSync(process.execPath, [bin, 'produce', input, '--key-field', 'page'], {
      input: lines,
      encoding: 'utf8',
      env,
      timeout: 60_000,
    });
    assert.equal(produced.status, 0, produced.stderr);
    assert.match(produced.stdout, /produced 5000 records/);

    const runLog = path.join(os.tmpdir(), `${name}-run.log`);
    const job = startSluice(
      'sluice run',
      runArgs(path.join(projectRoot, 'examples', 'page-view-counts.ts'), {
        taskManagers: 2,
        group: `${name}-group`,
        params: { input, output },
        more: ['--stop-when-idle', '5s'],
      }),
      { env, logFile: runLog },
    );
    const exit = await Promise.race([
      job.exited,
      sleep(180_000, undefined, { ref: false }).then(() => {
        throw new Error(`sluice run did not stop when idle; log in ${runLog}`);
      }),
    ]);
    assert.equal(exit.code, 0, `sluice run exited ${exit.code}; log in ${runLog}`);

    // Offline: the window of a view is floor(t / 10 s); one count per (user, window).
    const expected = new Map<string, number>();
    for (const line of lines.trim().split('\n')) {
      const v = JSON.parse(line) as { user: string; t: number };
      const id = `${v.user}|${new Date(Math.floor(v.t / 10_000) * 10_000).toISOString()}`;
      expected.set(id, (expected.get(id) ?? 0) + 1);
    }
    const got = new Map<string, number>();
    const duplicated: string[] = [];
    for (const m of await readCommitted(output, expected.size)) {
      const c = JSON.parse(String(m.value)) as { user: string; start: string; views: number };
      const id = `${c.user}|${c.start}`;
      if (got.has(id)) duplicated.push(id);
      got.set(id, c.views);
    }
    assert.deepEqual(duplicated, [], `windows emitted twice; log in ${runLog}`);
    assert.deepEqual(got, expected, `window counts differ from the offline count; log in ${runLog}`);
  });
});
