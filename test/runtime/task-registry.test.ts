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

function registry(sink: FakeGuardedConnector) {
  return new TaskRegistry({
    slots,
    stage,
    connectors: [sink],
    leases: new MemoryLeases(),
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
});
