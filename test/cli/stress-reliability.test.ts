// The stress and reliability commands as users run them, in their small CI forms, against the test
// broker and Redis: verdicts PASS, reports written, the checks the seed's "Monitor" list asks for.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunReport } from '../../src/reports/run-report.js';
import { runCli } from '../helpers/cli.js';
import { testEnv, uniqueName } from '../helpers/test-env.js';

describe('stress and reliability commands', { timeout: 400_000 }, () => {
  const reports = mkdtempSync(path.join(os.tmpdir(), 'sluice-reports-'));
  after(() => rmSync(reports, { recursive: true, force: true }));

  function env(name: string): NodeJS.ProcessEnv {
    const infra = testEnv.infra;
    // The test broker and Redis, as this run's own infra (so the reliability run can restart them).
    return {
      CI: 'true',
      SLUICE_STATE_DIR: infra.stateDir,
      SLUICE_CACHE_DIR: infra.cacheDir,
      SLUICE_KAFKA_PORT: String(infra.kafkaPort),
      SLUICE_KAFKA_CONTROLLER_PORT: String(infra.kafkaControllerPort),
      SLUICE_REDIS_PORT: String(infra.redisPort),
      SLUICE_JOBMANAGER_PORT: '0',
      SIMULATOR_KAFKA_TOPIC: name,
      SIMULATOR_KAFKA_CONSUMER_GROUP: `${name}-group`,
      SIMULATOR_REDIS_KEY_SINK_COUNTER: `${name}:counter`,
      SIMULATOR_REDIS_KEY_GLOBAL_SEQUENCE: `${name}:seq`,
    };
  }

  function report(dir: string): RunReport {
    const [run] = readdirSync(dir);
    assert.ok(run, `a report in ${dir}`);
    return JSON.parse(readFileSync(path.join(dir, run, 'report.json'), 'utf8')) as RunReport;
  }

  it('sluice stress: 20,000 messages, 5 TaskManagers, every Monitor check passes', async () => {
    const dir = path.join(reports, 'stress');
    const result = await runCli(['stress', '--messages', '20000', '--reports-dir', dir], {
      ...env(uniqueName('stress')),
      STRESS_TEST_USE_KAFKA_SOURCE: 'true',
    });
    assert.equal(result.code, 0, result.stdout.slice(-4000) + result.stderr);
    assert.match(result.stdout, /STRESS ✔ PASS/);
    const r = report(dir);
    assert.equal(r.verdict, 'PASS');
    const names = r.checks.map((c) => c.name);
    for (const expected of [
      '4 ACTIVE TaskManagers',
      'the other 1 IDLE',
      'exactly 1 partition per ACTIVE TaskManager',
      'message flow on all 4 partitions',
      'even distribution (spread ≤ 10%)',
      'no rebalancing during the run',
      'counter == N',
      'every id exactly once',
    ]) {
      assert.ok(names.includes(expected), `check "${expected}" in ${names.join(' | ')}`);
    }
    assert.ok(r.checks.every((c) => c.ok));
    assert.equal(
      r.partitionRecords.reduce((n, p) => n + p.records, 0),
      20_000,
    );
    assert.ok(r.throughputPerTaskManager.length >= 1);
  });

  it('sluice reliability: 3 kills, a broker restart and a zombie, 0 lost and 0 duplicated', async () => {
    const dir = path.join(reports, 'reliability');
    const args = ['reliability', '--messages', '60000', '--rate', '2500', '--seed', '1234'];
    const faults = [
      '--kills',
      '3',
      '--stops',
      '0',
      '--broker-restarts',
      '1',
      '--redis-restarts',
      '0',
      '--zombies',
      '1',
    ];
    const result = await runCli(
      [...args, ...faults, '--reports-dir', dir],
      env(uniqueName('reliability')),
      300_000,
    );
    assert.equal(result.code, 0, result.stdout.slice(-5000) + result.stderr);
    assert.match(result.stdout, /seed 1234 \(replay with --seed 1234\); 5 faults/);
    assert.match(result.stdout, /RELIABILITY ✔ PASS/);
    const r = report(dir);
    assert.equal(r.verdict, 'PASS');
    assert.equal(r.faults.length, 5);
    assert.deepEqual(r.faults.map((f) => f.kind).sort(), [
      'broker-restart',
      'kill',
      'kill',
      'kill',
      'zombie',
    ]);
    for (const f of r.faults)
      assert.ok(f.takeoverMs !== undefined && f.takeoverMs > 0, `${f.detail}: takeover measured`);
    assert.match(r.result.ids ?? '', /0 lost, 0 duplicated/);
    assert.ok(r.checks.find((c) => c.name === 'committed offsets == last completed checkpoint')?.ok);
  });
});
