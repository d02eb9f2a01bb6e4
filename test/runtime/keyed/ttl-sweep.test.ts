// State with a TTL keeps no timer per key: reads skip what expired, and a sweep removes it from the
// store a page at a time — as records pass (SWEEP_PER_RECORD keys each) and on ticks while the input
// is quiet (SWEEP_PER_TICK). Checked on the stage as a task runs it, against the store's own
// contents: expired values and map entries leave it, live ones stay, no timer is ever set.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { json, z } from '../../../src/api/index.js';
import { defineJob } from '../../../src/api/job-definition.js';
import type { SourceRecord } from '../../../src/api/records.js';
import { defineSink } from '../../../src/api/sinks.js';
import { mapState, valueState } from '../../../src/api/state.js';
import { buildPlan } from '../../../src/plan/job-plan.js';
import { compileStage, StageOutputs } from '../../../src/runtime/compile-stage.js';
import { SWEEP_PER_RECORD, SWEEP_PER_TICK } from '../../../src/runtime/keyed/stage-environment.js';
import { stateKey } from '../../../src/runtime/state/state-keys.js';
import { MemoryStateStore, type StateStore } from '../../../src/runtime/state/state-store.js';
import { TransactionalStore } from '../../../src/runtime/state/transactional-store.js';

const TTL = 1_000;
const Visit = z.object({ k: z.string(), page: z.string(), t: z.number() });
const job = defineJob({
  name: 'ttl-sweep',
  build(j) {
    j.fromKafka('in', json(Visit), { timestamp: (v) => v.t, outOfOrdernessMs: 0, idleAfterMs: 1 })
      .keyBy((v) => v.k, { repartition: false })
      .process<
        string,
        { seen: ReturnType<typeof valueState<number>>; pages: ReturnType<typeof mapState<number>> }
      >({
        name: 'visits',
        state: { seen: valueState<number>({ ttlMs: TTL }), pages: mapState<number>({ ttlMs: TTL }) },
        onRecord(v, ctx) {
          if (ctx.state.seen.get() === undefined) ctx.emit(`${v.k}@${v.t}`);
          ctx.state.seen.set(v.t);
          ctx.state.pages.set(v.page, v.t);
        },
      })
      .sinkTo(defineSink({ name: 'out', write() {} }));
  },
});

const plan = buildPlan(job, {});
const stage = compileStage(plan, plan.stages[0] as NonNullable<(typeof plan.stages)[0]>);
const seen = (k: string) => stateKey('visits', 'seen', k);
const pages = (k: string) => stateKey('visits', 'pages', k);

/** A task on `store`: feeds visits in one batch each call, ticks, and tells what it emitted. */
function taskOn(store: StateStore) {
  const env = stage.open(store, 'in', 0, 0);
  assert.ok(env, 'a keyed stage keeps an environment');
  let offset = 0;
  let last: SourceRecord | undefined;
  const emitted: string[] = [];
  const collect = (out: StageOutputs) =>
    out.raw?.forEach((sink) => {
      for (const r of sink as string[]) emitted.push(r);
    });
  return {
    env,
    emitted,
    feed(visits: [k: string, page: string, t: number][]) {
      const out = new StageOutputs(stage.sinkCount, { keepRaw: true });
      for (const [k, page, t] of visits) {
        last = {
          topic: 'in',
          partition: 0,
          offset: offset++,
          key: k,
          value: Buffer.from(JSON.stringify({ k, page, t })),
          timestamp: t,
        };
        out.begin();
        stage.run(last, out, env, 0);
      }
      if (last) stage.endBatch(out, env, last);
      collect(out);
    },
    tick(now: number) {
      const out = new StageOutputs(stage.sinkCount, { keepRaw: true });
      stage.tick(out, env, now, true, last as SourceRecord);
      collect(out);
    },
  };
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('state with a TTL, swept instead of timed', () => {
  const dirs: string[] = [];
  const stores: TransactionalStore[] = [];
  after(async () => {
    for (const store of stores) await store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const disk = async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ttl-'));
    dirs.push(dir);
    const store = TransactionalStore.open(dir);
    stores.push(store);
    await store.reset('run');
    return store;
  };
  /** A checkpoint: the writes go to disk, where the durable store's sweep pages them. */
  const commit = async (store: TransactionalStore) => {
    store.takeChanges();
    await store.committed(new Map());
  };

  it('removes expired values and map entries as records pass, keeps live ones, sets no timer', async () => {
    for (const store of [new MemoryStateStore(), await disk()]) {
      const task = taskOn(store);
      // 300 keys seen at t = 0…299: each value expires at t + TTL (nothing has yet).
      task.feed(range(300).map((i) => [`old-${i}`, 'home', i]));
      // One key seen early on one page and late on another: the early entry expires alone.
      task.feed([
        ['mixed', 'early', 300],
        ['mixed', 'late', 5_000],
      ]);
      if (store instanceof TransactionalStore) await commit(store);
      assert.equal(task.env.timers.size, 0, 'no timer per key');
      // Every old key is expired for the job now (watermark 4999), swept or not.
      task.feed([['old-0', 'home', 5_001]]);
      assert.deepEqual(task.emitted.slice(-1), ['old-0@5001'], 'an expired value reads as absent');

      // Enough records for a whole pass over the ~2 × 310 keys: SWEEP_PER_RECORD keys each.
      const records = Math.ceil((2 * 320) / SWEEP_PER_RECORD);
      task.feed(range(records).map((i) => [`new-${i % 5}`, 'home', 5_010 + i]));
      const watermark = task.env.watermark;
      assert.ok(watermark > 5_000 && watermark < 5_000 + TTL, `watermark ${watermark}`);
      for (const i of range(300, 1)) {
        assert.equal(store.get(seen(`old-${i}`)), undefined, `old-${i}'s value swept`);
        assert.equal(store.get(pages(`old-${i}`)), undefined, `old-${i}'s map swept`);
      }
      assert.deepEqual(
        store.get(pages('mixed')),
        { late: { v: 5_000, x: 5_000 + TTL } },
        'the live entry stays',
      );
      assert.deepEqual(store.get(seen('mixed')), { v: 5_000, x: 5_000 + TTL });
      assert.deepEqual(store.get(seen('old-0')), { v: 5_001, x: 5_001 + TTL }, 'written again: live');
      assert.equal(task.env.timers.size, 0);
    }
  });

  it('sweeps while the input is quiet, on ticks', async () => {
    for (const store of [new MemoryStateStore(), await disk()]) {
      const task = taskOn(store);
      const keys = SWEEP_PER_TICK + 200; // more than one tick's page
      task.feed(range(keys).map((i) => [`k-${i}`, 'home', 5_000 + (i % 10)]));
      if (store instanceof TransactionalStore) await commit(store);
      // Quiet input: the idle clock moves the watermark past every expiry; ticks sweep, page by page.
      for (let now = 10_000; now < 10_000 + 20 * 200; now += 200) task.tick(now);
      assert.ok(task.env.watermark >= 5_010 + TTL, `watermark ${task.env.watermark}`);
      for (const i of range(keys)) assert.equal(store.get(seen(`k-${i}`)), undefined, `k-${i} swept`);
    }
  });
});

describe("the durable store's pages of keys", () => {
  it('pages keys under a prefix in key order, past separators, and nothing beyond the prefix', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-pages-'));
    const store = TransactionalStore.open(dir);
    try {
      await store.reset('run');
      const keys = range(25).map((i) => stateKey('s', 'a', `k\u0000${String(i).padStart(2, '0')}`));
      for (const key of [...keys].reverse()) store.put(key, 1);
      store.put(stateKey('s', 'b', 'other'), 1);
      store.put(stateKey('r', 'a', 'other'), 1);
      store.takeChanges();
      await store.committed(new Map());
      const prefix = stateKey('s', 'a', '');
      const paged: string[] = [];
      for (let after = ''; ; ) {
        const page = store.keysAfter(prefix, after, 10);
        paged.push(...page);
        if (page.length < 10) break;
        after = page.at(-1) as string;
      }
      assert.deepEqual(paged, keys);
      assert.deepEqual(store.keysAfter(prefix, keys.at(-1) as string, 10), []);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
