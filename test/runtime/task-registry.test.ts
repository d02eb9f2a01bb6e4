import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineJob } from '../../src/api/job-definition.js';
import { defineSink } from '../../src/api/sinks.js';
import { buildPlan } from '../../src/plan/job-plan.js';
import { TaskSlots } from '../../src/plan/task-slots.js';
import { compileStage } from '../../src/runtime/compile-stage.js';
import { TaskRegistry } from '../../src/runtime/task-registry.js';
import { FakeGuardedConnector, MemoryLeases } from '../helpers/fake-connectors.js';

const job = defineJob({
  name: 'offsets',
  build(j) {
    j.fromKafka(['t', 'u'], (r) => r.offset).sinkTo(defineSink<number>({ name: 'offsets', write() {} }));
  },
});
const plan = buildPlan(job, {});
const stage = compileStage(plan, plan.stages[0] as NonNullable<(typeof plan.stages)[0]>);
const slots = new TaskSlots([
  { topic: 't', partitions: 4 },
  { topic: 'u', partitions: 2 },
]);

function registry(sink: FakeGuardedConnector, leases = new MemoryLeases()) {
  return new TaskRegistry({
    slots,
    stage,
    connectors: [sink],
    leases,
    start: () => -1,
    seek: () => {},
  });
}

function record(topic: string, partition: number, offset: number) {
  return { topic, partition, offset, key: null, value: null, timestamp: 0 };
}

describe('TaskRegistry', () => {
  it("creates one task per assigned partition of each topic, starting where its sink's output ends", async () => {
    const sink = new FakeGuardedConnector();
    sink.positions.set('t-2', 77);
    const r = registry(sink);
    const starts = await r.handleAssignment([
      { topic: 't', partition: 2 },
      { topic: 't', partition: 0 },
      { topic: 'u', partition: 1 },
    ]);
    assert.deepEqual(
      [...starts].sort((a, b) => a[0] - b[0]),
      [
        [0, undefined],
        [2, 77],
        [5, undefined],
      ],
    );
    assert.deepEqual(r.owned(), [0, 2, 5], 'slots: t-0, t-2, u-1');
    assert.equal(r.find('u', 1)?.id, 'u-1');
  });

  it('hands revoked partitions over clean, with their positions', async () => {
    const sink = new FakeGuardedConnector();
    const r = registry(sink);
    await r.handleAssignment([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    await r.find('t', 1)?.process([record('t', 1, 0), record('t', 1, 1), record('t', 1, 2)]);
    const handover = await r.handleRevocation([{ topic: 't', partition: 1 }]);
    assert.deepEqual(handover, [{ topic: 't', partitions: [1], offsets: [3] }]);
    assert.deepEqual(r.owned(), [0]);
    assert.equal(r.totalConsumed(), 3, 'records of a revoked task still count for this TaskManager');
  });

  it('closes lost partitions dirty at once', async () => {
    const sink = new FakeGuardedConnector();
    const r = registry(sink);
    await r.handleAssignment([{ topic: 't', partition: 3 }]);
    const task = r.find('t', 3);
    const handover = r.handleLost([{ topic: 't', partition: 3 }]);
    assert.deepEqual(handover[0]?.partitions, [3]);
    assert.equal(task?.state, 'CLOSED_DIRTY');
    assert.equal(r.size, 0);
  });

  it("revives a task fenced while nobody else claimed it: a new epoch, from its sink's end, records from before its seek dropped", async () => {
    const sink = new FakeGuardedConnector();
    const r = registry(sink);
    await r.handleAssignment([{ topic: 't', partition: 0 }]);
    const old = r.find('t', 0);
    await old?.process([0, 1, 2, 3, 4].map((o) => record('t', 0, o)));
    assert.equal(old?.epoch, 1);
    // The broker fenced its producer, and only what ended at offset 2 is durable in its sink.
    old?.closeDirty();
    sink.positions.set('t-0', 2);
    assert.deepEqual(await r.revive({ topic: 't', partition: 0 }), { start: 2 });
    const task = r.find('t', 0);
    assert.notEqual(task, old, 'a new task');
    assert.equal(task?.state, 'RUNNING');
    assert.equal(task?.epoch, 2, 'it claimed the lease again: the old epoch is fenced');
    // Records fetched for the old task before the seek: dropped, not read as if nothing were missing.
    assert.equal((await task?.process([record('t', 0, 5), record('t', 0, 6)]))?.consumed, 0);
    const again = await task?.process([2, 3, 4, 5, 6].map((o) => record('t', 0, o)));
    assert.equal(again?.consumed, 5);
    assert.deepEqual(sink.applied.at(-1)?.range, [2, 7]);
  });

  it('leaves a fenced task alone when another owner claimed its lease (its revocation is coming)', async () => {
    const sink = new FakeGuardedConnector();
    const leases = new MemoryLeases();
    const r = registry(sink, leases);
    await r.handleAssignment([{ topic: 't', partition: 1 }]);
    const old = r.find('t', 1);
    assert.equal(await r.revive({ topic: 't', partition: 1 }), undefined, 'a running task is not revived');
    old?.closeDirty();
    await leases.claim({ id: 't-1', topic: 't', partition: 1 });
    assert.equal(await r.revive({ topic: 't', partition: 1 }), undefined);
    assert.equal(r.find('t', 1), old);
  });
});
