import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFaults } from '../../src/runs/fault-schedule.js';

describe('planFaults', () => {
  const options = {
    durationMs: 100_000,
    counts: { kill: 3, 'broker-restart': 1, zombie: 1 },
    minSpacingMs: 4000,
  };

  it('is the same for the same seed and differs for another', () => {
    assert.deepEqual(planFaults({ ...options, seed: 7 }), planFaults({ ...options, seed: 7 }));
    assert.notDeepEqual(planFaults({ ...options, seed: 7 }), planFaults({ ...options, seed: 8 }));
  });

  it('plans each requested fault once, in time order, spaced, inside the run', () => {
    const plan = planFaults({ ...options, seed: 42 });
    assert.equal(plan.length, 5);
    assert.deepEqual(plan.map((f) => f.kind).sort(), ['broker-restart', 'kill', 'kill', 'kill', 'zombie']);
    for (let i = 1; i < plan.length; i++) {
      assert.ok((plan[i]?.at ?? 0) - (plan[i - 1]?.at ?? 0) >= 4000, 'spacing kept');
    }
    assert.ok(plan.every((f) => f.at >= 10_000 && f.at <= 100_000));
    assert.ok(plan.every((f) => f.pick >= 0 && f.pick < 1));
  });

  it('refuses a schedule that does not fit while the input flows, saying how to fix it', () => {
    assert.throws(
      () => planFaults({ seed: 1, durationMs: 10_000, counts: { kill: 5 }, minSpacingMs: 4000 }),
      /5 faults 4000 ms apart do not fit in a run whose input takes 10 s.*--messages/,
    );
  });

  it('plans nothing when no fault is asked for', () => {
    assert.deepEqual(planFaults({ seed: 1, durationMs: 1000, counts: {} }), []);
  });
});
