// The example's unit test: no Kafka, no Redis. `npm test` runs it; alone:
//   node --import sluice/register --test examples/page-view-counts.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testJob } from 'sluice/testing';
import job from './page-view-counts.js';

const base = Date.UTC(2026, 0, 1);

/** 3,000 views over ~60 s, each up to 900 ms out of order (the job allows 1,000). */
function views(): { user: string; page: string; t: number }[] {
  const out = [];
  for (let i = 0; i < 3000; i++) {
    const t = base + i * 20 - ((i * 7919) % 900);
    out.push({ user: `u${(i * 31) % 7}`, page: `/p${i % 3}`, t });
  }
  return out;
}

test('counts each user’s views per 10 s window exactly as an offline count; a far-late view goes to the dead letters', () => {
  const input = views();
  // Offline: the window of a view is floor(t / 10 s); count per (user, window).
  const expected = new Map<string, number>();
  for (const v of input) {
    const id = `${v.user}|${new Date(Math.floor(v.t / 10_000) * 10_000).toISOString()}`;
    expected.set(id, (expected.get(id) ?? 0) + 1);
  }

  const driver = testJob(job, { partitions: 3 });
  // Keyed by page, spread over 3 partitions: the job repartitions by user. (A partition without
  // records would hold the event time after the repartition back until it is idle.)
  driver.sendRecords(
    'page-views',
    input.map((value, i) => ({ value, key: value.page, timestamp: value.t, partition: i % 3 })),
  );
  // 40 s behind the newest view: every window it could belong to has closed (grace 2 s).
  driver.send('page-views', { user: 'u1', page: '/late', t: base + 20_000 });
  driver.finish();

  const counted = new Map<string, number>();
  for (const r of driver.output('page-view-counts')) {
    const c = r.json<{ user: string; start: string; end: number; views: number }>();
    assert.equal(r.key, c.user);
    assert.equal(c.end - Date.parse(c.start), 10_000);
    const id = `${c.user}|${c.start}`;
    assert.equal(counted.has(id), false, `window ${id} emitted twice`);
    counted.set(id, c.views);
  }
  assert.deepEqual(counted, expected);
  assert.deepEqual(
    driver.deadLetters().map((d) => d.code),
    ['RECORD_LATE'],
  );
});
