import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { disruptsServices, type FileRun, runLanes } from './lanes.js';

describe('test lanes', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-lanes-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A test file that records which lane's environment ran it, passing or failing. */
  const file = (name: string, body: string) => {
    const f = path.join(dir, `${name}.test.mjs`);
    writeFileSync(
      f,
      `import { test } from 'node:test';\n// ${body}\ntest('${name}', () => { process.stdout.write('ran in ' + process.env.LANE + '\\n'); ${body.includes('FAIL') ? "throw new Error('planned');" : ''} });\n`,
    );
    return f;
  };

  it('runs every file once, keeps files that touch the services to the first lane, reports failures', async () => {
    const disruptive = [file('restarts-broker', 'testEnv.infra'), file('freezes-redis', 'testEnv.infra')];
    const ordinary = [file('one', ''), file('two', ''), file('three', 'FAIL'), file('four', '')];
    assert.deepEqual([...disruptive, ...ordinary].map(disruptsServices), [
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    // Without node:test's own marker, or the inner runs would take themselves for nested ones.
    const { NODE_TEST_CONTEXT: _, ...outer } = process.env;
    const lanes = ['A', 'B'].map((name) => ({
      name,
      env: { ...outer, LANE: name },
      own: name === 'A' ? [...disruptive] : [],
    }));
    const started: string[] = [];
    const done: FileRun[] = [];
    const runs = await runLanes(
      lanes,
      [...ordinary],
      dir,
      (lane, f) => started.push(`${lane}:${path.basename(f)}`),
      (run) => done.push(run),
    );
    assert.equal(runs.length, 6);
    assert.deepEqual(done, runs);
    assert.deepEqual(
      runs.map((r) => path.basename(r.label)).sort(),
      [...disruptive, ...ordinary].map((f) => path.basename(f)).sort(),
    );
    for (const run of runs) {
      // Each ran in the environment of the lane that reports it.
      assert.match(run.output, new RegExp(`ran in ${run.lane}\\b`), run.output);
      if (disruptive.includes(run.label)) assert.equal(run.lane, 'A', `${run.label} ran in lane A`);
      assert.equal(run.code === 0, !run.label.includes('three'), `${run.label}: exit ${run.code}`);
    }
    // Lane B, free from the start, took from the queue while A ran its own files.
    assert.ok(
      runs.some((r) => r.lane === 'B'),
      started.join(', '),
    );
  });
});
