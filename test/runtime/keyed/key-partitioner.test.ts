import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { murmur2, partitionForKey } from '../../../src/runtime/keyed/key-partitioner.js';

describe('key partitioner', () => {
  it("computes Kafka's murmur2 (the vectors of Kafka's own UtilsTest), tails of 0 to 3 bytes", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of vectors) assert.equal(murmur2(Buffer.from(key)), expected, key);
  });

  it('puts a key in one partition, in range, the same every time', () => {
    for (const key of ['u1', 'u2', 'ü-ñ', '']) {
      const p = partitionForKey(key, 7);
      assert.ok(p >= 0 && p < 7);
      assert.equal(partitionForKey(key, 7), p);
    }
    // Java: Utils.toPositive(murmur2("foobar")) % 4 — (-790332482 & 0x7fffffff) % 4.
    assert.equal(partitionForKey('foobar', 4), (-790332482 & 0x7fffffff) % 4);
  });
});
