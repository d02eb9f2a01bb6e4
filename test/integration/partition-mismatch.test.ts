// A job written for a 4-partition topic, started on one with 64 (issue 14): `sluice run` stops at
// start with exit code 2 and KAFKA_TOPIC_PARTITION_MISMATCH naming the topic, both counts and the
// fix; no TaskManager started and the job's group never joined (the broker's own view). Started on
// a topic with 4 it runs (the same fixture, so the check is what refused the first).

import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findProcesses } from '../../src/infra/process-control.js';
import { runCli } from '../helpers/cli.js';
import { clusterSuite, runArgs, sluiceRunEnv } from '../helpers/cluster-run.js';
import { startSluice } from '../helpers/sluice-process.js';
import { projectRoot, uniqueName } from '../helpers/test-env.js';

const jobFile = path.join(projectRoot, 'dist', 'test', 'fixtures', 'four-partitions-job.js');

describe('a topic with other partitions than the job was written for', { timeout: 180_000 }, () => {
  const { admin, topics, dirs } = clusterSuite('test-partition-mismatch');

  it('stops `sluice run` at start with a clear error, before any TaskManager', async () => {
    const name = uniqueName('wide');
    const input = `${name}-in`;
    const output = `${name}-out`;
    topics.push(input, output, `${input}.dlq`);
    await admin.createTopic(input, 64);
    const stateDir = path.join(os.tmpdir(), `${name}-state`);
    dirs.push(stateDir);
    const group = `${name}-group`;
    const started = Date.now();
    const result = await runCli(
      runArgs(jobFile, { taskManagers: 2, group, params: { input, output } }),
      sluiceRunEnv(stateDir),
      90_000,
    );
    assert.equal(result.code, 2, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, /SLUICE_ERR_KAFKA_TOPIC_PARTITION_MISMATCH/);
    assert.match(
      result.stderr,
      new RegExp(`Topic '${input}' has 64 partitions, but job 'four-partitions' was written for 4`),
    );
    assert.match(result.stderr, /Fix: /);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(result.stdout, /TASK MANAGER|TaskManager TM-/, 'no TaskManager started');
    assert.deepEqual(findProcesses(jobFile), []);
    const view = await admin.describeGroup(group);
    assert.deepEqual(view.members, [], `the group ${group} never had a member (broker: ${view.state})`);
    assert.ok(Date.now() - started < 60_000, 'it stopped within the Kafka wait');
  });

  it('runs the same job on a topic with 4 partitions', async () => {
    const name = uniqueName('four');
    const input = `${name}-in`;
    topics.push(input, `${name}-out`, `${input}.dlq`);
    await admin.createTopic(input, 4);
    const stateDir = path.join(os.tmpdir(), `${name}-state`);
    dirs.push(stateDir);
    const job = startSluice(
      'sluice run',
      runArgs(jobFile, { taskManagers: 1, group: `${name}-group`, params: { input, output: `${name}-out` } }),
      { env: sluiceRunEnv(stateDir) },
    );
    try {
      const assigned = await job.waitForEvent('taskmanager.partitions_assigned', undefined, 90_000);
      assert.deepEqual(assigned.partitions, [0, 1, 2, 3]);
    } finally {
      await job.stop();
    }
  });
});
