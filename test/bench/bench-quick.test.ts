// The benchmarks' short forms, as CI runs them: every peer produces a result and every result is
// exact. Timings are printed, never asserted (speed is measured by `npm run bench`, not by tests).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { testEnv } from '../helpers/test-env.js';

describe('npm run bench -- <name> --quick', { timeout: 600_000 }, () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
  after(() => rmSync(stateDir, { recursive: true, force: true }));
  const env = () => ({
    SLUICE_MANAGE_INFRA: 'false',
    SLUICE_KAFKA_BOOTSTRAP: testEnv.kafkaBootstrap,
    SLUICE_REDIS_URL: testEnv.redisUrl,
    SLUICE_STATE_DIR: stateDir,
    SLUICE_CACHE_DIR: testEnv.cacheDir,
  });

  it('throughput: Sluice (both sinks), Kafka Streams, the plain consumer and the raw read all count exactly', async (t) => {
    const result = await runCli(['bench', 'throughput', '--quick'], env(), 500_000);
    t.diagnostic(result.stdout.trim());
    assert.equal(result.code, 0, result.stdout + result.stderr.slice(-3000));
    for (const peer of ['sluice-redis', 'sluice-kafka', 'kafka-streams', 'plain-consumer', 'raw-read']) {
      assert.match(
        result.stdout,
        new RegExp(`^${peer}\\s+[\\d,]+\\s+.*\\syes$`, 'm'),
        `${peer} produced an exact result`,
      );
    }
  });

  it('windowed: Sluice and Kafka Streams emit every window that had to close, each with its offline count', async (t) => {
    const result = await runCli(['bench', 'windowed', '--quick'], env(), 500_000);
    t.diagnostic(result.stdout.trim());
    assert.equal(result.code, 0, result.stdout + result.stderr.slice(-3000));
    for (const peer of ['sluice', 'kafka-streams'])
      assert.match(result.stdout, new RegExp(`^${peer}\\s+[\\d,]+\\s+.*\\syes$`, 'm'), `${peer} exact`);
  });

  it('restore: Sluice and Kafka Streams count on top of state restored from the changelog alone', async (t) => {
    const result = await runCli(['bench', 'restore', '--quick'], env(), 500_000);
    t.diagnostic(result.stdout.trim());
    assert.equal(result.code, 0, result.stdout + result.stderr.slice(-3000));
    for (const peer of ['sluice', 'kafka-streams'])
      assert.match(result.stdout, new RegExp(`^${peer}\\s+2,000\\s+.*\\syes$`, 'm'), `${peer} restored`);
  });

  it('failover: takeovers measured for Sluice and Kafka Streams', async (t) => {
    const result = await runCli(['bench', 'failover', '--quick'], env(), 500_000);
    t.diagnostic(result.stdout.trim());
    assert.equal(result.code, 0, result.stdout + result.stderr.slice(-3000));
    assert.match(result.stdout, /^sluice-consumer\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+1\s+0$/m);
    assert.match(result.stdout, /^kafka-streams-6s\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+1\s+0$/m);
  });
});
