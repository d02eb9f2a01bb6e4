// A bench times every peer by its output count; a peer whose count stops moving (its broker went
// away, it is stuck) ends the bench with an error that says so, instead of waiting out the bound.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureDrain } from '../../src/bench/drain-meter.js';
import { isSluiceError } from '../../src/errors/sluice-error.js';

describe('measureDrain', () => {
  it('times a peer from its first output to the last record', async () => {
    let count = 0;
    const drain = await measureDrain(
      async () => (count = Math.min(count + 100, 1_000)),
      1_000,
      10_000,
      5_000,
    );
    assert.equal(drain.records, 900, 'from the first reading above zero');
    assert.ok(drain.ms > 0 && drain.recordsPerSecond > 0);
  });

  it('gives up on a peer whose output stopped moving, naming how far it got', async () => {
    let count = 0;
    const started = Date.now();
    await assert.rejects(
      measureDrain(async () => (count = Math.min(count + 100, 400)), 1_000, 60_000, 300),
      (error: unknown) => {
        assert.ok(isSluiceError(error) && error.code === 'BENCH_PEER_STALLED', String(error));
        assert.match(error.message, /stopped at 400 of 1000 records/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000, 'long before the 60 s bound');
  });
});
