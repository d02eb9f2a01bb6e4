// A wrong setting stops the real command with exit code 2 and a message naming the variable, the
// value and the accepted form: no stack trace.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';

describe('CLI configuration errors', { timeout: 60_000 }, () => {
  const cases: [string, string, RegExp][] = [
    [
      'SIMULATOR_NUM_MESSAGES',
      'lots',
      /environment variable SIMULATOR_NUM_MESSAGES: got "lots"; expected a whole number/,
    ],
    [
      'STRESS_TEST_USE_KAFKA_SOURCE',
      'perhaps',
      /STRESS_TEST_USE_KAFKA_SOURCE: got "perhaps"; expected true or false/,
    ],
    [
      'SIMULATOR_KAFKA_TOPIC',
      'bad topic',
      /SIMULATOR_KAFKA_TOPIC: got "bad topic"; expected a Kafka topic name/,
    ],
    ['SLUICE_KAFKA_WAIT_TIMEOUT', 'forever', /SLUICE_KAFKA_WAIT_TIMEOUT: got "forever"; expected a duration/],
    ['SLUICE_REDIS_PORT', '99999', /SLUICE_REDIS_PORT: got "99999"; expected a TCP port/],
  ];
  for (const [variable, value, expected] of cases) {
    it(`sluice run stops on ${variable}=${value}`, async () => {
      const result = await runCli(['run'], { [variable]: value });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /SLUICE_ERR_CONFIG_INVALID/);
      assert.match(result.stderr, expected);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('names a bad flag as a flag', async () => {
    const result = await runCli(['run', '--messages', '-3']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /flag --messages: got "-3"/);
  });

  describe('the JobManager–TaskManager link beyond loopback', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-secret-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const short = path.join(dir, 'short.secret');
    writeFileSync(short, 'abc123\n');

    const cases: [string, string[], RegExp][] = [
      [
        'a JobManager bound beyond loopback without a secret',
        ['run', '--bind', '0.0.0.0'],
        /SLUICE_JOBMANAGER_HOST \(--bind\) is 0\.0\.0\.0: .*Fix: .*SLUICE_CLUSTER_SECRET_FILE \(--cluster-secret-file\)/,
      ],
      [
        'a TaskManager whose JobManager is on another host, without a secret',
        ['taskmanager', '--jobmanager', 'http://10.1.2.3:8081'],
        /SLUICE_JOBMANAGER_URL points at 10\.1\.2\.3, another host: .*SLUICE_CLUSTER_SECRET_FILE/,
      ],
      [
        'a secret file that does not exist',
        ['run', '--cluster-secret-file', path.join(dir, 'missing.secret')],
        /SLUICE_CLUSTER_SECRET_FILE \(--cluster-secret-file\): ".*missing\.secret" does not exist/,
      ],
      [
        'a secret too short to be one',
        ['jobmanager', '--bind', '0.0.0.0', '--cluster-secret-file', short],
        /the secret in ".*short\.secret" has 6 characters; at least 16 are needed\. Fix: `openssl rand -hex 32/,
      ],
    ];
    for (const [what, args, expected] of cases) {
      it(`stops ${what} with exit code 2, naming the setting`, async () => {
        const result = await runCli(args);
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /SLUICE_ERR_CONFIG_INVALID/);
        assert.match(result.stderr, expected);
        assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      });
    }
  });
});
