// `sluice run` as `npm start` runs it (CI=true: 5 TaskManagers), on the test broker and Redis:
// the seed's lines on the terminal, the summary, and exit 0 only with counter == N.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { testEnv, uniqueName } from '../helpers/test-env.js';

describe('sluice run', { timeout: 180_000 }, () => {
  it('runs the job with 5 TaskManagers and verifies counter == N', async () => {
    const name = uniqueName('cli-run');
    const result = await runCli(['run', '--messages', '10000', '--jobmanager-port', '0'], {
      CI: 'true',
      SLUICE_MANAGE_INFRA: 'false',
      SLUICE_KAFKA_BOOTSTRAP: testEnv.kafkaBootstrap,
      SLUICE_REDIS_URL: testEnv.redisUrl,
      SIMULATOR_KAFKA_TOPIC: name,
      SIMULATOR_KAFKA_CONSUMER_GROUP: `${name}-group`,
      SIMULATOR_REDIS_KEY_SINK_COUNTER: `${name}:counter`,
      SIMULATOR_REDIS_KEY_GLOBAL_SEQUENCE: `${name}:seq`,
      STRESS_TEST_USE_KAFKA_SOURCE: 'true',
    });
    assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr);
    const out = result.stdout;
    assert.match(out, /🔄 Waiting for Kafka setup to complete \(timeout: 60s\)\.\.\./);
    const activeIds = new Set(
      [
        ...out.matchAll(
          /⚖️ LOAD BALANCING: TaskManager (TM-0\d) is now actively consuming 1 partitions - Load Status: ACTIVE/g,
        ),
      ].map((m) => m[1]),
    );
    assert.ok(activeIds.size >= 4, `ACTIVE lines for ${[...activeIds].join(', ')}`);
    assert.match(out, /💤 LOAD BALANCING: TaskManager TM-0\d has no partitions assigned - Load Status: IDLE/);
    assert.match(
      out,
      /📨 TaskManager TM-0\d: Consumed \d+ messages from Kafka topic '[^']+' \(partition: \d, offset: \d+\)/,
    );
    assert.match(out, /📊 JOB MONITOR: [\d.]+s - Redis counter '[^']+': 10000\/10000 \(100\.0%\)/);
    assert.match(out, /✅ JOB MONITOR: Job completed - processed 10000 messages in [\d.]+s/);
    assert.match(out, /Distribution: {2}4 ACTIVE, 1 IDLE of 5 TaskManagers/);
    assert.match(out, /Check: {9}counter == N {2}✔ {2}\(10000 == 10000\)/);
    assert.doesNotMatch(out, /SIGSEGV|Unexpected error/);
  });
});
