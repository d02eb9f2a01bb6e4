import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('reads percentiles within 5% of the exact value', () => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.record(ms);
    for (const [p, exact] of [
      [50, 500],
      [99, 990],
      [100, 1000],
    ] as const) {
      const read = h.percentile(p) ?? 0;
      assert.ok(read >= exact && read <= exact * 1.05, `p${p}: ${read} vs ${exact}`);
    }
  });

  it('merges the sparse buckets of other histograms', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 90; i++) a.record(10);
    for (let i = 0; i < 10; i++) b.record(2000);
    const merged = new LatencyHistogram();
    merged.merge(a.toBuckets());
    merged.merge(b.toBuckets());
    assert.equal(merged.count, 100);
    assert.ok((merged.percentile(50) ?? 0) <= 10.5);
    assert.ok((merged.percentile(95) ?? 0) >= 2000);
  });

  it('is empty until something is recorded', () => {
    assert.equal(new LatencyHistogram().percentile(50), undefined);
  });
});
