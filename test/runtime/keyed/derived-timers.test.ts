// A window's timers follow from its state (a window's close from its start, a session's from its
// last record), so they are kept in memory only: never in the store or the changelog, and rebuilt
// from the state when a task opens. Checked here across a reopen of the stage on the same store
// (what a restore gives a new owner): every window closes once, none twice, none lost.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, z } from '../../../src/api/index.js';
import { defineJob } from '../../../src/api/job-definition.js';
import type { SourceRecord } from '../../../src/api/records.js';
import { defineSink } from '../../../src/api/sinks.js';
import { session, sliding, tumbling, type WindowResult } from '../../../src/api/windows.js';
import { buildPlan } from '../../../src/plan/job-plan.js';
import { compileStage, StageOutputs } from '../../../src/runtime/compile-stage.js';
import { stateKey } from '../../../src/runtime/state/state-keys.js';
import { MemoryStateStore } from '../../../src/runtime/state/state-store.js';

const Click = z.object({ k: z.string(), t: z.number() });
const job = defineJob({
  name: 'derived-timers',
  build(j) {
    const clicks = j
      .fromKafka('in', json(Click), { timestamp: (c) => c.t, outOfOrdernessMs: 0, idleAfterMs: 0 })
      .keyBy((c) => c.k, { repartition: false });
    clicks
      .window(tumbling(10))
      .count()
      .sinkTo(defineSink({ name: 'tumbling', write() {} }));
    clicks
      .window(session(5))
      .count()
      .sinkTo(defineSink({ name: 'sessions', write() {} }));
  },
});

const record = (k: string, t: number, offset: number): SourceRecord => ({
  topic: 'in',
  partition: 0,
  offset,
  key: k,
  value: Buffer.from(JSON.stringify({ k, t })),
  timestamp: t,
});

/** A store that tells plain deletes (a tombstone now) from forgotten keys (a tombstone owed). */
class WatchedStore extends MemoryStateStore {
  readonly deleted: string[] = [];
  readonly forgotten: string[] = [];
  override delete(key: string): void {
    this.deleted.push(key);
    super.delete(key);
  }
  override forget(key: string): void {
    this.forgotten.push(key);
    super.forget(key);
  }
}

/** Feeds records to a stage opened on `store` (each feed opens it anew: what a new owner does). */
function feeder(store: MemoryStateStore, results: string[], of = job) {
  const plan = buildPlan(of, {});
  const stage = compileStage(plan, plan.stages[0] as NonNullable<(typeof plan.stages)[0]>);
  return (events: [string, number][], from: number) => {
    const env = stage.open(store, 'in', 0, 0);
    assert.ok(env, 'a windowed stage keeps an event clock');
    const out = new StageOutputs(stage.sinkCount, { keepRaw: true });
    let last: SourceRecord | undefined;
    events.forEach(([k, t], i) => {
      last = record(k, t, from + i);
      out.begin();
      stage.run(last, out, env);
    });
    if (last) stage.endBatch(out, env, last);
    out.raw?.forEach((sink, i) => {
      for (const r of sink as WindowResult<number>[])
        results.push(`${i}:${r.key}@${r.start}-${r.end}=${r.value}`);
    });
  };
}

describe('window timers kept in memory, rebuilt from the state', () => {
  it('closes every window once across a reopen, with no timer in the store', () => {
    const store = new MemoryStateStore();
    const results: string[] = [];
    const feed = feeder(store, results);
    feed(
      [
        ['a', 1],
        ['b', 3],
        ['a', 12],
        ['b', 15],
      ],
      0,
    );
    const stored = [...store.scan('')].map(([key]) => key);
    assert.deepEqual(
      stored.filter((key) => key.includes('\u0001T')),
      [],
      'no timer entry in the store for a window step',
    );
    // A new owner opens the stage on the committed state: the open windows' timers come back.
    feed([['a', 30]], 4);
    assert.deepEqual(results.sort(), [
      // Tumbling [0, 10) closed by the watermark 12, [10, 20) by 30 after the reopen.
      '0:a@0-10=1',
      '0:a@10-20=1',
      '0:b@0-10=1',
      '0:b@10-20=1',
      // Sessions (gap 5) [1, 6) and [3, 8) closed before the reopen, [12, 17) and [15, 20) after.
      '1:a@1-6=1',
      '1:a@12-17=1',
      '1:b@15-20=1',
      '1:b@3-8=1',
    ]);
  });

  it('forgets a closed window (no tombstone now), and drops one a restore brought back without it', () => {
    const store = new WatchedStore();
    const results: string[] = [];
    const feed = feeder(store, results);
    feed(
      [
        ['b', 1],
        ['a', 12],
      ],
      0,
    );
    assert.deepEqual(store.deleted, [], 'no window state deleted with a tombstone');
    const windows = stateKey('tumbling-window', 'windows', 'b');
    const sessions = stateKey('session-window', 'sessions', 'b');
    assert.deepEqual(
      store.forgotten.sort(),
      [sessions, windows].sort(),
      "b's [0, 10) and session [1, 6) closed",
    );
    // A restore from a changelog that never got those tombstones brings both values back: dead.
    store.put(windows, { 0: 1 });
    store.put(sessions, [{ start: 1, last: 1, acc: 1 }]);
    feed([['a', 30]], 2);
    assert.equal(store.get(windows), undefined, 'dropped when the stage opened');
    assert.equal(store.get(sessions), undefined);
    assert.deepEqual(results.sort(), ['0:a@10-20=1', '0:b@0-10=1', '1:a@12-17=1', '1:b@1-6=1']);
  });

  it("keeps a sliding window's records after their own timers fired: later windows still count them", () => {
    const slidingJob = defineJob({
      name: 'derived-sliding',
      build(j) {
        j.fromKafka('in', json(Click), { timestamp: (c) => c.t, outOfOrdernessMs: 0, idleAfterMs: 0 })
          .keyBy((c) => c.k, { repartition: false })
          .window(sliding(10))
          .count()
          .sinkTo(defineSink({ name: 'sliding', write() {} }));
      },
    });
    const results: string[] = [];
    const feed = feeder(new MemoryStateStore(), results, slidingJob);
    feed(
      [
        ['a', 1],
        ['a', 5],
        ['b', 9], // the watermark passes both of a's records: their own windows closed
      ],
      0,
    );
    feed(
      [
        ['a', 10],
        ['a', 30],
      ],
      3,
    );
    // The window ending at 10 (records in [0, 10]) sees 1 and 5 from before the reopen.
    assert.ok(results.includes('0:a@0-11=3'), results.join(', '));
  });
});
