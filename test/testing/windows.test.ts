import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import {
  defineJob,
  hopping,
  json,
  kafkaSink,
  session,
  sliding,
  tumbling,
  type WindowResult,
} from '../../src/api/index.js';
import { testJob } from '../../src/testing/index.js';
import { type Event, expectedCounts, type Kind, makeEvents } from '../helpers/window-oracle.js';

const EventSchema = z.object({ user: z.string(), t: z.number(), n: z.number() });

function windowJob(kind: Kind, options: { ooo: number; grace: number; repartition?: boolean }) {
  const assigner =
    kind.kind === 'tumbling'
      ? tumbling(kind.size)
      : kind.kind === 'hopping'
        ? hopping(kind.size, kind.advance)
        : kind.kind === 'sliding'
          ? sliding(kind.size)
          : session(kind.gap);
  return defineJob({
    name: 'windows',
    build(job) {
      job
        .fromKafka('events', json(EventSchema), { timestamp: (e) => e.t, outOfOrdernessMs: options.ooo })
        .keyBy((e) => e.user, { repartition: options.repartition ?? false })
        .window(assigner, { graceMs: options.grace })
        .count()
        .sinkTo(kafkaSink({ topic: 'counts' }));
    },
  });
}

function resultsOf(records: { json<T>(): T }[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const r of records) {
    const w = r.json<WindowResult<number>>();
    const id = `${w.key}|${w.start}|${w.end}`;
    assert.equal(seen.has(id), false, `window ${id} emitted twice`);
    seen.set(id, w.value);
  }
  return seen;
}

/** 3,000 events in disorder, and three far later than any grace: reported, never counted. */
function withFarLate(): Event[] {
  const events: Event[] = makeEvents(3000, 25, 7, 60, 11);
  for (const i of [500, 1500, 2500])
    events.splice(i, 0, { user: 'u1', t: 1_000_000 + i * 11 - 20_000, n: -i });
  return events;
}

const kinds: Kind[] = [
  { kind: 'tumbling', size: 1000 },
  { kind: 'hopping', size: 1000, advance: 250 },
  { kind: 'sliding', size: 300 },
  { kind: 'session', gap: 120 },
];

describe('windows, against an offline computation', () => {
  for (const kind of kinds) {
    it(`${kind.kind}: on-time records counted once, late ones dead-lettered as late`, () => {
      const ooo = 40;
      const grace = 30;
      const events = withFarLate();
      const expected = expectedCounts(events, kind, ooo, grace);
      assert.ok(expected.late.size >= 3, 'the input has late records');
      const driver = testJob(windowJob(kind, { ooo, grace }));
      for (let i = 0; i < events.length; i += 100) {
        driver.sendRecords(
          'events',
          events.slice(i, i + 100).map((e) => ({ value: e, key: e.user })),
        );
      }
      driver.finish();
      assert.deepEqual(resultsOf(driver.output('counts')), expected.windows);
      const late = driver.deadLetters();
      assert.ok(late.every((d) => d.code === 'RECORD_LATE'));
      assert.deepEqual(
        late.map((d) => d.offset).sort((a, b) => a - b),
        [...expected.late].sort((a, b) => a - b),
      );
    });
  }

  it('lateTo: late records go to the named sink, as they reached the window, not to the dead letters', () => {
    const kind: Kind = { kind: 'tumbling', size: 1000 };
    const ooo = 40;
    const grace = 30;
    const events = withFarLate();
    const expected = expectedCounts(events, kind, ooo, grace);
    const job = defineJob({
      name: 'windows-late',
      build(j) {
        j.fromKafka('events', json(EventSchema), { timestamp: (e) => e.t, outOfOrdernessMs: ooo })
          .keyBy((e) => e.user, { repartition: false })
          .window(tumbling(kind.size), { graceMs: grace, lateTo: kafkaSink({ topic: 'late-events' }) })
          .count()
          .sinkTo(kafkaSink({ topic: 'counts' }));
      },
    });
    const driver = testJob(job);
    for (let i = 0; i < events.length; i += 100)
      driver.sendRecords(
        'events',
        events.slice(i, i + 100).map((e) => ({ value: e, key: e.user })),
      );
    driver.finish();
    assert.deepEqual(resultsOf(driver.output('counts')), expected.windows, 'the windows are the same');
    assert.deepEqual(driver.deadLetters(), [], 'nothing late was dead-lettered');
    // The events at the late offsets (one partition: offset = position in the input), whole.
    const lateEvents = [...expected.late].sort((a, b) => a - b).map((offset) => events[offset]);
    assert.ok(lateEvents.length >= 3);
    assert.deepEqual(
      driver.output('late-events').map((r) => r.json<Event>()),
      lateEvents,
    );
  });

  it('repartitions by key over 3 partitions: in-disorder input gives the same windows, far-late records are late', () => {
    const kind: Kind = { kind: 'tumbling', size: 500 };
    const events = makeEvents(2000, 30, 11, 30, 5);
    const far = [300, 900, 1700].map((i) => ({ user: 'u2', t: 1_000_000 + i * 5 - 50_000, n: -i }));
    const driver = testJob(windowJob(kind, { ooo: 40, grace: 0, repartition: true }), { partitions: 3 });
    assert.deepEqual(
      driver.plan.stages.map((s) => s.topics),
      [['events'], ['windows-1-repartition']],
    );
    // Each source partition gets its share (by n), in order; the far-late ones come after the rest.
    for (let i = 0; i < events.length; i += 50) {
      driver.sendRecords(
        'events',
        events.slice(i, i + 50).map((e) => ({ value: e, partition: e.n % 3 })),
      );
    }
    driver.sendRecords(
      'events',
      far.map((e) => ({ value: e, partition: 1 })),
    );
    driver.finish();
    const expected = expectedCounts(events, kind, 40, 0);
    assert.equal(expected.late.size, 0);
    assert.deepEqual(resultsOf(driver.output('counts')), expected.windows);
    assert.deepEqual(
      driver.deadLetters().map((d) => [d.code, JSON.parse(d.value ?? 'null').n]),
      far.map((e) => ['RECORD_LATE', e.n]),
    );
  });

  it('closes the last windows when the input goes quiet (idle input), without finish()', () => {
    const job = defineJob({
      name: 'idle',
      build(j) {
        j.fromKafka('events', json(EventSchema), { timestamp: (e) => e.t, idleAfterMs: 2000 })
          .keyBy((e) => e.user, { repartition: false })
          .window(tumbling(10_000))
          .count()
          .sinkTo(kafkaSink({ topic: 'counts' }));
      },
    });
    const driver = testJob(job, { startTime: 50_000 });
    driver.send('events', { user: 'a', t: 41_000, n: 1 }, { user: 'a', t: 43_000, n: 2 });
    assert.equal(driver.output('counts').length, 0);
    driver.advanceTime(2000);
    assert.equal(driver.output('counts').length, 0, 'not before idleAfter has passed');
    // W = 42_999 at the last record; quiet for 2000 + 7000 ms brings it to 49_999 = end - 1: it closes.
    driver.advanceTime(6999);
    assert.equal(driver.output('counts').length, 0);
    driver.advanceTime(1);
    assert.deepEqual(
      driver.output('counts').map((r) => r.json()),
      [{ key: 'a', start: 40_000, end: 50_000, value: 2 }],
    );
  });

  it('emits on every update when asked, and reduce/aggregate see the values', () => {
    const job = defineJob({
      name: 'eager',
      build(j) {
        const byUser = j
          .fromKafka('events', json(EventSchema), { timestamp: (e) => e.t })
          .keyBy((e) => e.user, { repartition: false });
        byUser
          .window(tumbling(100), { emit: 'update', name: 'sum' })
          .aggregate({ create: () => 0, add: (a: number, e) => a + e.n })
          .sinkTo(kafkaSink({ topic: 'sums' }));
        byUser
          .window(tumbling(100), { name: 'max' })
          .reduce((a, b) => (b.n > a.n ? b : a))
          .map((w) => ({ key: w.key, start: w.start, max: w.value.n }))
          .sinkTo(kafkaSink({ topic: 'max' }));
      },
    });
    const driver = testJob(job);
    driver.send(
      'events',
      { user: 'a', t: 10, n: 5 },
      { user: 'a', t: 20, n: 7 },
      { user: 'a', t: 150, n: 1 },
    );
    assert.deepEqual(
      driver.output('sums').map((r) => r.json<WindowResult<number>>().value),
      [5, 12, 1],
    );
    // t=150 moved the watermark to 149: [0, 100) closed, [100, 200) waits for more time.
    assert.deepEqual(
      driver.output('max').map((r) => r.json()),
      [{ key: 'a', start: 0, max: 7 }],
    );
    driver.finish();
    assert.deepEqual(
      driver.output('max').map((r) => r.json()),
      [
        { key: 'a', start: 0, max: 7 },
        { key: 'a', start: 100, max: 1 },
      ],
    );
    assert.equal(driver.output('max')[0]?.key, 'a', 'a window result is keyed by its window key');
  });
});
