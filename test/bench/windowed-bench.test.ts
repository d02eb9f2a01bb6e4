import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchInput } from '../../src/bench/bench-input.js';
import { checkWindows, expectedWindows } from '../../src/bench/windowed-bench.js';

describe('bench windowed: the offline windows', () => {
  // Ids 1..60, keys k-0 (even ids, partition 0) and k-1 (odd ids, partition 1), windows of 10 ms.
  const input: BenchInput = { topic: 't', partitions: 2, records: 60, keys: 2, perKey: () => 30 };
  const expected = expectedWindows(input, 10);

  it('counts each key per window and knows which windows must have closed', () => {
    assert.equal(expected.all.get('k-0@0'), 4); // 2, 4, 6, 8
    assert.equal(expected.all.get('k-1@0'), 5); // 1, 3, 5, 7, 9
    assert.equal(expected.all.get('k-0@60'), 1); // 60
    assert.equal(
      [...expected.all.values()].reduce((a, b) => a + b, 0),
      60,
    );
    // Partition 0 ends at 60, partition 1 at 59: a window closed for sure ends a full window before.
    assert.deepEqual([...expected.closed].sort(), [
      'k-0@0',
      'k-0@10',
      'k-0@20',
      'k-0@30',
      'k-0@40',
      'k-1@0',
      'k-1@10',
      'k-1@20',
      'k-1@30',
    ]);
  });

  it('accepts exact results and names wrong and missing windows', () => {
    const exact = new Map([...expected.all].filter(([w]) => expected.closed.has(w)));
    assert.equal(checkWindows(exact, expected).exact, true);
    const wrong = new Map(exact);
    wrong.set('k-0@0', 5);
    wrong.delete('k-1@30');
    const result = checkWindows(wrong, expected);
    assert.equal(result.exact, false);
    assert.match(result.detail, /1 windows wrong \(e\.g\. k-0@0: 5 != 4\), 1 missing \(e\.g\. k-1@30\)/);
  });
});
