// Nobody joins who does not belong (issue 14). The intruder that was let in — a 20-line WebSocket
// client registering as TM-ROGUE, answered with the job's spec, declining every checkpoint — is
// refused by a JobManager with a cluster secret, with no proof and with a made-up one, as is a
// TaskManager holding another secret; the job meanwhile runs exactly. A TaskManager with a secret
// will not work for a JobManager without one. And on an unsecured loopback JobManager, an intruder
// the broker never lists as a group member stops counting once the grace is over: its declines
// abort no checkpoint after that. (Across hosts, with network namespaces: multi-host.test.ts.)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { OWNERSHIP_GRACE_MS } from '../../src/jobmanager/ownership-watch.js';
import { runCli } from '../helpers/cli.js';
import { type SluiceProcess, startSluice, stopAllSluice } from '../helpers/sluice-process.js';
import { projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

const rogueScript = path.join(projectRoot, 'dist', 'test', 'fixtures', 'rogue-taskmanager.js');

interface RogueOutcome {
  registered: boolean;
  refused?: string;
  declines: number;
  received: string[];
}

/** Runs the intruder against `url` and reads what it saw. */
async function rogue(url: string, ...flags: string[]): Promise<RogueOutcome> {
  const { stdout } = await promisify(execFile)(process.execPath, [rogueScript, url, ...flags], {
    timeout: 60_000,
  });
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { done?: boolean; received?: string } & Partial<RogueOutcome>);
  const done = lines.find((l) => l.done);
  assert.ok(done, stdout);
  return {
    registered: done.registered === true,
    ...(done.refused ? { refused: done.refused } : {}),
    declines: done.declines ?? 0,
    received: lines.flatMap((l) => (l.received ? [l.received] : [])),
  };
}

describe('who may join a JobManager', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-auth-'));
  const secretFile = path.join(dir, 'cluster.secret');
  const otherSecretFile = path.join(dir, 'other.secret');
  writeFileSync(secretFile, `${'a1'.repeat(32)}\n`, { mode: 0o600 });
  writeFileSync(otherSecretFile, `${'b2'.repeat(32)}\n`, { mode: 0o600 });
  after(async () => {
    await stopAllSluice();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `sluice run` of the seed job on the test broker (its own topic and keys), N records at a rate. */
  function run(name: string, messages: number, rate: number, extra: string[] = []): SluiceProcess {
    return startSluice(
      name,
      ['run', '--messages', String(messages), '--rate', String(rate), '--taskmanagers', '2', ...extra],
      {
        env: {
          CI: 'true',
          SLUICE_MANAGE_INFRA: 'false',
          SLUICE_KAFKA_BOOTSTRAP: testEnv.kafkaBootstrap,
          SLUICE_REDIS_URL: testEnv.redisUrl,
          SLUICE_JOBMANAGER_PORT: '0',
          SLUICE_STATE_DIR: path.join(dir, name),
          SIMULATOR_KAFKA_TOPIC: name,
          SIMULATOR_KAFKA_CONSUMER_GROUP: `${name}-group`,
          SIMULATOR_REDIS_KEY_SINK_COUNTER: `${name}:counter`,
          SIMULATOR_REDIS_KEY_GLOBAL_SEQUENCE: `${name}:seq`,
        },
        logFile: path.join(dir, `${name}.log`),
      },
    );
  }

  it('with a cluster secret, refuses the intruder and a wrong secret; the job runs exactly', async () => {
    const job = run(uniqueName('auth'), 60_000, 6_000, ['--cluster-secret-file', secretFile]);
    const url = String((await job.waitForEvent('jobmanager.started', undefined, 90_000)).url);
    await job.waitForEvent('jobmanager.distribution_complete', undefined, 90_000);

    for (const flags of [[], ['--fake-proof']]) {
      const seen = await rogue(url, ...flags, '--seconds', '5');
      assert.equal(seen.registered, false, JSON.stringify(seen));
      assert.deepEqual(seen.received, ['challenge', 'rejected'], 'never the job spec, never a checkpoint');
      assert.match(
        seen.refused ?? '',
        flags.length ? /cluster secret is not the JobManager's/ : /SLUICE_CLUSTER_SECRET_FILE/,
      );
    }
    const wrong = await runCli(
      ['taskmanager', '--id', 'TM-WRONG', '--jobmanager', url, '--cluster-secret-file', otherSecretFile],
      { SLUICE_KAFKA_BOOTSTRAP: testEnv.kafkaBootstrap, SLUICE_REDIS_URL: testEnv.redisUrl },
      60_000,
    );
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /SLUICE_ERR_JOBMANAGER_REJECTED: .*cluster secret is not the JobManager's/);

    const ended = await job.exited;
    assert.equal(ended.code, 0, job.lines.slice(-30).join('\n'));
    const refused = job.records
      .filter((r) => r.event === 'jobmanager.taskmanager_refused')
      .map((r) => r.taskManagerId);
    assert.deepEqual(refused, ['TM-ROGUE', 'TM-ROGUE', 'TM-WRONG']);
    assert.ok(
      job.lines.some((l) => /every id 1\.\.60000 applied exactly once/.test(l)),
      job.lines.slice(-20).join('\n'),
    );
  });

  it('without one, an intruder the broker never lists stops counting after the grace', async () => {
    // A checkpoint every 100 ms: the rogue's decline races the real TaskManagers' acknowledgements
    // (a decline after the checkpoint completed is discarded), so the grace holds ~100 races, not ~10
    // (all ten were lost once, on a loaded machine).
    const job = run(uniqueName('noauth'), 150_000, 6_000, ['--checkpoint-interval', '100ms']);
    const url = String((await job.waitForEvent('jobmanager.started', undefined, 90_000)).url);
    await job.waitForEvent('jobmanager.distribution_complete', undefined, 90_000);

    // A TaskManager with a secret will not work for a JobManager that cannot prove it holds it.
    const secured = await runCli(
      ['taskmanager', '--id', 'TM-SECURED', '--jobmanager', url, '--cluster-secret-file', secretFile],
      { SLUICE_KAFKA_BOOTSTRAP: testEnv.kafkaBootstrap, SLUICE_REDIS_URL: testEnv.redisUrl },
      60_000,
    );
    assert.equal(secured.code, 2, secured.stderr);
    assert.match(secured.stderr, /asks for no cluster secret, but this TaskManager has one/);

    const seconds = Math.ceil(OWNERSHIP_GRACE_MS / 1000) + 8;
    const seen = await rogue(url, '--seconds', String(seconds));
    assert.equal(seen.registered, true, 'on loopback without a secret, a local process may register');
    assert.ok(seen.declines >= seconds - 4, `it declined ${seen.declines} checkpoints`);
    const ignored = await job.waitForEvent(
      'jobmanager.taskmanager_refused',
      (r) => r.taskManagerId === 'TM-ROGUE',
      10_000,
    );
    assert.match(String(ignored.reason), /checkpoint answers and partition reports are ignored/);
    const ended = await job.exited;
    assert.equal(ended.code, 0, job.lines.slice(-30).join('\n'));
    const rogueAborts = job.records.filter(
      (r) => r.event === 'checkpoint.aborted' && String(r.detail).startsWith('TM-ROGUE'),
    );
    assert.ok(rogueAborts.length > 0, 'its declines counted during the grace');
    const after = rogueAborts.filter((r) => Number(r.time) > Number(ignored.time));
    assert.deepEqual(after, [], 'no checkpoint aborted by it once it was found out');
  });
});
