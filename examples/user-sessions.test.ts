// The example's unit test: no Kafka, no Redis (`node --import sluice/register --test examples/user-sessions.test.ts`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testJob } from 'sluice/testing';
import job from './user-sessions.js';

type Click = { user: string; action: string; t: number };

/** Offline: sort each user's clicks by time; a gap of 30 s or more starts a new session. */
function sessionsOf(clicks: Click[]): { user: string; start: number; durationMs: number; clicks: number }[] {
  const byUser = new Map<string, number[]>();
  for (const c of clicks) byUser.set(c.user, [...(byUser.get(c.user) ?? []), c.t]);
  const out = [];
  for (const [user, times] of byUser) {
    times.sort((a, b) => a - b);
    let start = times[0] ?? 0;
    let n = 0;
    for (let i = 0; i < times.length; i++) {
      const t = times[i] ?? 0;
      if (i > 0 && t - (times[i - 1] ?? 0) >= 30_000) {
        out.push({ user, start, durationMs: (times[i - 1] ?? 0) - start, clicks: n });
        start = t;
        n = 0;
      }
      n++;
    }
    out.push({ user, start, durationMs: (times.at(-1) ?? 0) - start, clicks: n });
  }
  return out.sort((a, b) => a.user.localeCompare(b.user) || a.start - b.start);
}

test('one result per session, with its duration and clicks, as an offline sessionization; a bridging click merges two sessions', () => {
  const clicks: Click[] = [
    { user: 'ann', action: 'view', t: 0 },
    { user: 'bob', action: 'view', t: 5_000 },
    { user: 'ann', action: 'click', t: 10_000 },
    { user: 'ann', action: 'buy', t: 25_000 },
    // cid: two sessions (31 s apart) until the click at 29 s, a little out of order, bridges them.
    { user: 'cid', action: 'view', t: 0 },
    { user: 'cid', action: 'view', t: 31_000 },
    { user: 'cid', action: 'click', t: 29_000 },
    { user: 'ann', action: 'view', t: 70_000 },
    { user: 'bob', action: 'view', t: 71_000 },
  ];
  const driver = testJob(job, { partitions: 2 });
  driver.sendRecords(
    'clicks',
    clicks.map((value) => ({ value, key: value.user, timestamp: value.t })),
  );
  driver.finish();

  const got = driver
    .output('user-sessions')
    .map((r) => r.json<{ user: string; start: number; durationMs: number; clicks: number }>())
    .map(({ user, start, durationMs, clicks }) => ({ user, start, durationMs, clicks }))
    .sort((a, b) => a.user.localeCompare(b.user) || a.start - b.start);
  assert.deepEqual(got, sessionsOf(clicks));
  assert.deepEqual(
    got.find((s) => s.user === 'cid'),
    { user: 'cid', start: 0, durationMs: 31_000, clicks: 3 },
  );
  const annFirst = driver
    .output('user-sessions')
    .map((r) => r.json<{ user: string; start: number; actions: Record<string, number> }>())
    .find((s) => s.user === 'ann' && s.start === 0);
  assert.deepEqual(annFirst?.actions, { view: 1, click: 1, buy: 1 });
});
