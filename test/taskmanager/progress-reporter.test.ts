import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLog } from '../../src/logging/event-log.js';
import type { SluiceEvent } from '../../src/logging/events.js';
import { createLogger } from '../../src/logging/logger.js';
import { LoadStatus } from '../../src/taskmanager/load-status.js';
import { ProgressReporter } from '../../src/taskmanager/progress-reporter.js';

function recorder() {
  const events = new EventLog(createLogger({ format: 'json', level: 'silent' }));
  const seen: SluiceEvent[] = [];
  events.subscribe((e) => seen.push(e));
  return { events, seen };
}

describe('ProgressReporter', () => {
  it('reports each time the total crosses a multiple of `every`, not per batch', () => {
    const { events, seen } = recorder();
    let now = 0;
    const p = new ProgressReporter(events, {
      taskManagerId: 'TM-01',
      every: 100,
      now: () => now,
    });
    for (let consumed = 30; consumed <= 330; consumed += 30) p.record(consumed, 't', 0, consumed - 1, 1);
    const progress = seen.filter((e) => e.type === 'taskmanager.progress');
    assert.deepEqual(
      progress.map((e) => (e.type === 'taskmanager.progress' ? e.consumed : 0)),
      [120, 210, 300],
    );
    assert.equal(seen.filter((e) => e.type === 'taskmanager.load_balance_status').length, 3);
    now = 1;
  });

  it('reports after a quiet spell only if something changed, and flushes the rest', () => {
    const { events, seen } = recorder();
    let now = 0;
    const p = new ProgressReporter(events, {
      taskManagerId: 'TM-01',
      every: 1000,
      maxSilenceMs: 5000,
      now: () => now,
    });
    p.record(10, 't', 2, 9, 1);
    p.tick();
    assert.equal(seen.length, 0, 'not before the quiet spell');
    now = 5000;
    p.tick();
    assert.equal(seen.length, 2);
    now = 20_000;
    p.tick();
    assert.equal(seen.length, 2, 'nothing new, nothing said');
    p.record(15, 't', 2, 14, 1);
    p.flush();
    assert.equal(seen.length, 4);
  });
});

describe('LoadStatus', () => {
  it('says ACTIVE when partitions arrive, IDLE when the last one leaves, and IDLE for a member without any', () => {
    const { events, seen } = recorder();
    const load = new LoadStatus(events, 'TM-01');
    load.joining();
    load.memberWithoutPartitions();
    load.owned(1);
    load.owned(1);
    load.owned(2);
    load.owned(0);
    const lines = seen.map((e) =>
      e.type === 'taskmanager.load_status' ? `${e.status}:${e.partitions}` : e.type,
    );
    assert.deepEqual(lines, ['IDLE:0', 'ACTIVE:1', 'ACTIVE:2', 'IDLE:0']);
  });
});
