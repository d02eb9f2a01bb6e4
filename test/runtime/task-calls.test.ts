import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stalled, TaskCalls } from '../../src/runtime/task-calls.js';

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

describe('blocked tasks', () => {
  it('says which retried call keeps failing, with its last error, until it lands', async () => {
    let failures = 3;
    const seen: (ReturnType<TaskCalls['blocked']> | undefined)[] = [];
    const calls = new TaskCalls({ closed: () => false, backoffMs: () => 0 });
    assert.equal(calls.blocked(), undefined);
    const result = await calls.retry('writing to sink', async () => {
      seen.push(calls.blocked());
      if (failures-- > 0) throw new Error(`OOM command not allowed (${failures} left)`);
      return 'landed';
    });
    assert.equal(result, 'landed');
    // The first attempt had not failed yet; the later ones see the failure before them.
    assert.equal(seen[0], undefined);
    assert.equal(seen[1]?.what, 'writing to sink');
    assert.equal(seen[1]?.attempts, 1);
    assert.equal(seen[3]?.attempts, 3);
    assert.match(seen[3]?.error ?? '', /\(0 left\)/);
    assert.equal(seen[1]?.since, seen[3]?.since, 'blocked since the first failure');
    assert.equal(calls.blocked(), undefined, 'no longer blocked once the call landed');
  });
});
