// The recovery benchmarks' short forms (bench-quick has the steady-state ones): every peer
// restores or takes over, and its result is exact. Timings are printed, never asserted.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quickBench } from '../helpers/quick-bench.js';

describe('npm run bench -- restore | failover --quick', { timeout: 600_000 }, () => {
  const bench = quickBench();

  it('restore: Sluice and Kafka Streams count on top of state restored from the changelog alone', async (t) => {
    const result = await bench('restore');
    t.diagnostic(result.stdout.trim());
    assert.equal(result.code, 0, result.stdout + result.stderr.slice(-3000));
    for (const peer of ['sluice', 'kafka-streams'])
      assert.match(result.stdout, new RegExp(`^${peer}\\s+2,000\\s+.*\\syes$`, 'm'), `${peer} restored`);
  });

  it('failover: takeovers measured for Sluice and Kafka Streams', async (t) => {
    const result = await bench('failover');
    t.diagnostic(result.stdout.trim());
    assert.equal(result.code, 0, result.stdout + result.stderr.slice(-3000));
    assert.match(result.stdout, /^sluice-consumer\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+1\s+0$/m);
    assert.match(result.stdout, /^kafka-streams-6s\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+1\s+0$/m);
  });
});
