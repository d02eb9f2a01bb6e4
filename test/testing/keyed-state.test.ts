import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { defineJob, json, kafkaSink, mapState, valueState } from '../../src/api/index.js';
import { testJob } from '../../src/testing/index.js';

const Click = z.object({ user: z.string(), page: z.string(), t: z.number() });

describe('keyed state and timers in the test driver', () => {
  it('keeps value and map state per key, and undoes a failed record’s changes', () => {
    const job = defineJob({
      name: 'pages',
      build(j) {
        j.fromKafka('clicks', json(Click), { timestamp: (c) => c.t })
          .keyBy((c) => c.user, { repartition: false })
          .process({
            name: 'per-user',
            state: { total: valueState<number>(), pages: mapState<number>() },
            onRecord(click, ctx) {
              ctx.state.total.set((ctx.state.total.get() ?? 0) + 1);
              ctx.state.pages.set(click.page, (ctx.state.pages.get(click.page) ?? 0) + 1);
              if (click.page === 'boom') throw new Error('boom');
              ctx.emit({ user: ctx.key, total: ctx.state.total.get(), pages: ctx.state.pages.size });
            },
          })
          .sinkTo(kafkaSink({ topic: 'out' }));
      },
    });
    const driver = testJob(job);
    driver.send(
      'clicks',
      { user: 'a', page: 'x', t: 1 },
      { user: 'b', page: 'x', t: 2 },
      { user: 'a', page: 'y', t: 3 },
      { user: 'a', page: 'boom', t: 4 },
      { user: 'a', page: 'x', t: 5 },
    );
    assert.deepEqual(
      driver.output('out').map((r) => r.json()),
      [
        { user: 'a', total: 1, pages: 1 },
        { user: 'b', total: 1, pages: 1 },
        { user: 'a', total: 2, pages: 2 },
        { user: 'a', total: 3, pages: 2 },
      ],
    );
    assert.deepEqual(
      driver.deadLetters().map((d) => [d.code, d.message]),
      [['RECORD_PROCESSING_FAILED', 'boom']],
    );
    assert.equal(driver.state('per-user', 'total', 'a'), 3, 'the failed record left no trace in state');
    assert.deepEqual(driver.state('per-user', 'pages', 'a'), { x: 2, y: 1 });
  });

  it('a map state read once per call still sees its own set, delete and clear within the call', () => {
    const job = defineJob({
      name: 'maps',
      build(j) {
        j.fromKafka('clicks', json(Click))
          .keyBy((c) => c.user, { repartition: false })
          .process({
            name: 'seen',
            state: { pages: mapState<number>() },
            onRecord(click, ctx) {
              const pages = ctx.state.pages;
              const before = pages.entries();
              pages.set(click.page, 1);
              pages.set('tmp', 2);
              pages.delete('tmp');
              const during = pages.entries();
              if (click.page === 'reset') pages.clear();
              ctx.emit({ before, during, after: pages.entries(), has: pages.has(click.page) });
            },
          })
          .sinkTo(kafkaSink({ topic: 'out' }));
      },
    });
    const driver = testJob(job);
    driver.send(
      'clicks',
      { user: 'a', page: 'x', t: 1 },
      { user: 'a', page: 'reset', t: 2 },
      { user: 'a', page: 'y', t: 3 },
    );
    assert.deepEqual(
      driver.output('out').map((r) => r.json()),
      [
        { before: [], during: [['x', 1]], after: [['x', 1]], has: true },
        {
          before: [['x', 1]],
          during: [
            ['x', 1],
            ['reset', 1],
          ],
          after: [],
          has: false,
        },
        { before: [], during: [['y', 1]], after: [['y', 1]], has: true },
      ],
    );
  });

  it('expires state on event time (TTL) and fires event- and processing-time timers per key', () => {
    const job = defineJob({
      name: 'dedup',
      build(j) {
        j.fromKafka('clicks', json(Click), { timestamp: (c) => c.t, idleAfterMs: 0 })
          .keyBy((c) => `${c.user}/${c.page}`, { repartition: false })
          .process<string, { seen: ReturnType<typeof valueState<boolean>> }>({
            name: 'dedup',
            state: { seen: valueState<boolean>({ ttlMs: 1000 }) },
            onRecord(_click, ctx) {
              if (ctx.state.seen.get()) return;
              ctx.state.seen.set(true);
              ctx.timers.atEventTime(ctx.timestamp + 500);
              ctx.timers.atProcessingTime(ctx.processingTime + 60_000);
              ctx.emit(`first ${ctx.key}@${ctx.timestamp}`);
            },
            onTimer(ctx) {
              ctx.emit(`${ctx.timer.domain} timer ${ctx.key}@${ctx.timer.time}`);
            },
          })
          .sinkTo(kafkaSink({ topic: 'out' }));
      },
    });
    const driver = testJob(job, { startTime: 1_000_000 });
    driver.send(
      'clicks',
      { user: 'a', page: 'x', t: 100 },
      { user: 'a', page: 'x', t: 300 },
      { user: 'a', page: 'x', t: 1050 },
      // Still seen (watermark 1049 < 100 + 1000); it moves the watermark to 1199: the entry expires.
      { user: 'a', page: 'x', t: 1200 },
      { user: 'a', page: 'x', t: 1300 },
    );
    assert.deepEqual(
      driver.output('out').map((r) => r.value),
      ['first a/x@100', 'event timer a/x@600', 'first a/x@1300'],
    );
    // Both first sightings asked for a timer at the same processing time: it fires once.
    driver.advanceTime(59_999);
    assert.equal(driver.output('out').length, 3);
    driver.advanceTime(1);
    assert.deepEqual(
      driver
        .output('out')
        .slice(3)
        .map((r) => r.value),
      ['processing timer a/x@1060000'],
    );
  });
});
