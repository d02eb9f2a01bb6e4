// An example job run as its README shows, on the real broker: input from examples/make-input.mjs
// through `sluice produce`, then `sluice run examples/page-view-counts.ts --stop-when-idle` (the .ts
// file itself, loaded as a user's job is). Its windows, read back by an independent read_committed
// reader, equal an offline count over the same input — with the source's default idleness, so the
// job must also go idle and stop by itself.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { readCommitted } from '../helpers/committed-reader.js';
import { startSluice, stopAllSluice } from '../helpers/sluice-process.js';
import { projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

const bin = path.join(projectRoot, 'bin', 'sluice.js');

describe('the examples on the cluster', { timeout: 300_000 }, () => {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-examples',
  });
  const topics: string[] = [];
  /** The runs' local state directories (each TaskManager's stores). */
  const dirs: string[] = [];
  after(async () => {
    await stopAllSluice();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    for (const topic of topics) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  });
  const env = {
    ...process.env,
    SLUICE_KAFKA_PORT: testEnv.kafkaBootstrap.split(':')[1] ?? '',
    SLUICE_REDIS_PORT: new URL(testEnv.redisUrl).port,
    SLUICE_MANAGE_INFRA: 'false',
    SLUICE_JOBMANAGER_PORT: '0',
    SLUICE_CHECKPOINT_INTERVAL: '500ms',
    SLUICE_PARTITIONS: '4',
  };

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
    const stateDir = path.join(os.tmpdir(), `${name}-state`);
    dirs.push(stateDir);
    const job = startSluice(
      'sluice run',
      [
        'run',
        path.join(projectRoot, 'examples', 'page-view-counts.ts'),
        '--taskmanagers',
        '2',
        '--stop-when-idle',
        '5s',
        '--group',
        `${name}-group`,
        '--param',
        `input=${input}`,
        '--param',
        `output=${output}`,
      ],
      { env: { ...env, SLUICE_STATE_DIR: stateDir }, logFile: runLog },
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
