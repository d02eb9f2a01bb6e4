// What a TaskManager reports of its records' latency: from creation to its consume loop (the
// broker's and the client's share, before processing) beside creation to the results written.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLog } from '../../src/logging/event-log.js';
import { createLogger } from '../../src/logging/logger.js';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import { WorkReport } from '../../src/taskmanager/work-report.js';

const report = () => new WorkReport(new EventLog(createLogger({ format: 'json', level: 'silent' })), 'TM-01');

function fetchLatencyOf(work: WorkReport): LatencyHistogram {
  const beat = work.heartbeat('ACTIVE', undefined, 0);
  assert.equal(beat.type, 'heartbeat');
  const h = new LatencyHistogram();
  if (beat.type === 'heartbeat' && beat.fetchLatency) h.merge(beat.fetchLatency);
  return h;
}

describe('WorkReport fetch latency', () => {
  it('counts each polled record from its creation to the poll', () => {
    const work = report();
    const now = 1_000_000;
    // Nine records 4 ms old, one 200 ms old.
    const polled = [...Array.from({ length: 9 }, () => ({ timestamp: now - 4 })), { timestamp: now - 200 }];
    work.fetched(polled, now);
    const h = fetchLatencyOf(work);
    assert.equal(h.count, 10);
    // Bucket bounds are within 5 % of the value.
    const p50 = h.percentile(50) ?? 0;
    const max = h.percentile(100) ?? 0;
    assert.ok(p50 >= 4 && p50 <= 4.2, `p50 ${p50}`);
    assert.ok(max >= 200 && max <= 210, `max ${max}`);
  });

  it('skips records without a creation time', () => {
    const work = report();
    work.fetched([{ timestamp: undefined }, { timestamp: 0 }, {}], 5000);
    assert.equal(fetchLatencyOf(work).count, 0);
  });
});
