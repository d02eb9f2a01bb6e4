import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stalled } from '../../src/runtime/task-calls.js';

describe('stall reports', () => {
  it('names the oldest slow call or gate, else a snapshot queued behind the chain and behind what', () => {
    const now = 100_000;
    assert.equal(stalled({ call: { what: 'writing', since: now - 5_000 } }, 10_000, now), undefined);
    assert.deepEqual(
      stalled(
        { call: { what: 'writing', since: now - 12_000 }, gate: { what: 'gate', since: now - 15_000 } },
        10_000,
        now,
      ),
      { what: 'gate', ms: 15_000 },
    );
    assert.deepEqual(
      stalled(
        {
          queued: { what: 'the snapshot for checkpoint 8', since: now - 11_000 },
          running: { what: 'a batch of records', since: now - 30_000 },
        },
        10_000,
        now,
      ),
      {
        what: 'the snapshot for checkpoint 8, queued behind a batch of records (running for 30 s),',
        ms: 11_000,
      },
    );
  });
});
