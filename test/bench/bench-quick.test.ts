// The benchmarks' short forms, as CI runs them: every peer produces a result and every result is
// exact. Timings are printed, never asserted (speed is measured by `npm run bench`, not by tests).
// Split in two files (steady state here, recovery in bench-recovery-quick) so that test lanes can
// run them side by side.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quickBench } from '../helpers/quick-bench.js';

describe('npm run bench -- <name> --quick', { timeout: 600_000 }, () => {
  const bench = quickBench();

  it('throughput: Sluice (both sinks), Kafka Streams, the plain consumer and the raw read all count exactly', async (t) => {
    const result = await bench('throughput');
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
    const result = await bench('windowed');
    t.diagnostic(result.stdout.trim());
    assert.equal(result.code, 0, result.stdout + result.stderr.slice(-3000));
    for (const peer of ['sluice', 'kafka-streams'])
      assert.match(result.stdout, new RegExp(`^${peer}\\s+[\\d,]+\\s+.*\\syes$`, 'm'), `${peer} exact`);
  });
});
