// A stateful task's state comes back after restore() returned, while its partition waits: the task
// answers with its position at once, refuses records until its state is back, and a task closed
// during its restore (its partition taken away) stops the restore at the next batch instead of
// reading the changelog to its end first.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { json } from '../../src/api/deserializers.js';
import { defineJob } from '../../src/api/job-definition.js';
import { kafkaSink } from '../../src/api/sinks.js';
import { valueState } from '../../src/api/state.js';
import type { ChangelogReader, ChangelogRecord } from '../../src/connectors/kafka/changelog-reader.js';
import type { PhaseOutcome } from '../../src/connectors/sink-connector.js';
import { buildPlan } from '../../src/plan/job-plan.js';
import { compileStage } from '../../src/runtime/compile-stage.js';
import { stateKey } from '../../src/runtime/state/state-keys.js';
import { TaskStateBackend } from '../../src/runtime/state/task-state-backend.js';
import { Task } from '../../src/runtime/task.js';
import { FakeTransactionalConnector, MemoryLeases } from '../helpers/fake-connectors.js';

const job = defineJob({
  name: 'counts',
  build(j) {
    j.fromKafka('t', json<{ k: string }>())
      .keyBy((m) => m.k, { repartition: false })
      .process<number, { n: ReturnType<typeof valueState<number>> }>({
        name: 'n',
        state: { n: valueState<number>() },
        onRecord(_m, ctx) {
          ctx.state.n.set((ctx.state.n.get() ?? 0) + 1);
        },
      })
      .sinkTo(kafkaSink({ topic: 'out' }));
  },
});
const plan = buildPlan(job, {});
const stage = compileStage(plan, plan.stages[0] as NonNullable<(typeof plan.stages)[0]>);
const changelog = plan.changelogs[0] as string;

/** Kafka's shape, carrying the changelog in its transaction (nothing is written anywhere). */
class FakeCarrier extends FakeTransactionalConnector {
  async stage(): Promise<PhaseOutcome> {
    return 'done';
  }
}

/** A changelog of `batches` batches that hands out one batch each time `next()` is called. */
function gatedReader(batches: number) {
  const waiting: (() => void)[] = [];
  let applied = 0;
  let stopSeen = false;
  const reader = {
    async read(
      _topic: string,
      _partition: number,
      from: number,
      apply: (records: ChangelogRecord[], next: number) => Promise<void>,
      options: { stop?: () => boolean } = {},
    ) {
      let next = from;
      for (let b = 0; b < batches; b++) {
        await new Promise<void>((resolve) => waiting.push(resolve));
        if (options.stop?.()) {
          stopSeen = true;
          return { next, records: applied, stopped: true };
        }
        next += 1;
        await apply([{ key: stateKey('n', `k${b}`, 'n'), value: Buffer.from(String(b + 1)) }], next);
        applied++;
      }
      return { next, records: applied };
    },
  };
  return {
    reader: reader as unknown as ChangelogReader,
    /**
     * Lets the next batch through once the reader waits for it. Bounded, and loud when the bound
     * passes: it used to give up after 1 s in silence, and under a full suite's load (the state
     * store opening late) the test then awaited a restore nothing would ever finish.
     */
    async next() {
      const deadline = Date.now() + 30_000;
      while (waiting.length === 0) {
        if (Date.now() > deadline)
          throw new Error('the changelog reader did not ask for its next batch within 30 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      waiting.shift()?.();
    },
    get applied() {
      return applied;
    },
    get stopSeen() {
      return stopSeen;
    },
  };
}

describe('a task restoring its state', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function makeTask(gate: ReturnType<typeof gatedReader>) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-task-restore-'));
    dirs.push(dir);
    const state = new TaskStateBackend({
      dir,
      runId: 'r1',
      stage,
      topic: 't',
      partition: 0,
      changelogPartition: 0,
      changelogs: new Map([['n', changelog]]),
      start: () => 0,
      reader: async () => gate.reader,
    });
    const carrier = new FakeCarrier();
    carrier.committedOffsets.set('t-0', 40);
    return new Task({
      task: { id: 't-0', topic: 't', partition: 0 },
      slot: 0,
      stage,
      state,
      connectors: [carrier],
      leases: new MemoryLeases(),
      start: -1,
      seek: () => {},
      backoffMs: () => 0,
    });
  }

  const record = (offset: number) => ({
    topic: 't',
    partition: 0,
    offset,
    key: null,
    value: Buffer.from(JSON.stringify({ k: 'k0' })),
    timestamp: 0,
  });

  it('answers with its position at once, refuses records until the state is back, then runs', async () => {
    const gate = gatedReader(3);
    const task = makeTask(gate);
    assert.equal(await task.restore(), 40, 'the position comes from the sink, before the state is back');
    assert.equal(task.state, 'RESTORING');
    const restored = task.stateRestored;
    assert.ok(restored, 'the state restores after restore() returned');
    const refused = await task.process([record(40)]);
    assert.equal(refused.outcome, 'skipped', 'a record that reaches a restoring task is refused');
    for (let b = 0; b < 3; b++) await gate.next();
    assert.equal(await restored, true);
    assert.equal(task.state, 'RUNNING');
    assert.equal(gate.applied, 3);
    assert.equal(task.stateSize?.entries !== undefined && task.stateSize.entries >= 3, true);
    const ran = await task.process([record(40)]);
    assert.equal(ran.consumed, 1);
    task.closeDirty();
    await task.closeState();
  });

  it('stops restoring at the next batch when it is closed (its partition taken away)', async () => {
    const gate = gatedReader(100);
    const task = makeTask(gate);
    await task.restore();
    const restored = task.stateRestored;
    await gate.next();
    await gate.next();
    task.closeClean(); // revoked while RESTORING: closed dirty, nothing was written
    assert.equal(task.state, 'CLOSED_DIRTY');
    await gate.next();
    assert.equal(await restored, false, 'a closed task never becomes RUNNING');
    assert.equal(gate.stopSeen, true, 'the reader was told to stop');
    assert.equal(gate.applied, 2, 'it stopped after the batch in hand, not at the end of 100');
    await task.closeState(); // returns: the restore is over, the store closes
  });
});
