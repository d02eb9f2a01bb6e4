// A wrong setting stops the real command with exit code 2 and a message naming the variable, the
// value and the accepted form: no stack trace.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
