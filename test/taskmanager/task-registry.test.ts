import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromKafka } from '../../src/api/pipeline.js';
import { TaskRegistry } from '../../src/taskmanager/task-registry.js';
import { FakeSink } from '../helpers/fake-sink.js';

const graph = fromKafka((r) => r.offset).sinkTo('t', () => {
  throw new Error('unused');
});

function record(partition: number, offset: number) {
  return { topic: 't', partition, offset, key: null, value: null, timestamp: 0 };
}

describe('TaskRegistry', () => {
  it('creates one task per assigned partition, starting where the sink says', async () => {
    const sink = new FakeSink();
    sink.positions.set(2, 77);
    const registry = new TaskRegistry({ topic: 't', graph, sink });
    const starts = await registry.handleAssignment([2, 0]);
    assert.deepEqual([...starts].sort(), [
      [0, undefined],
      [2, 77],
    ]);
    assert.deepEqual(registry.partitions(), [0, 2]);
  });

  it('hands revoked partitions over clean, with their positions', async () => {
    const sink = new FakeSink();
    const registry = new TaskRegistry({ topic: 't', graph, sink });
    await registry.handleAssignment([0, 1]);
    await registry.get(1)?.process([record(1, 0), record(1, 1), record(1, 2)]);
    const handover = await registry.handleRevocation([1]);
    assert.deepEqual(handover, { partitions: [1], offsets: [3] });
    assert.deepEqual(registry.partitions(), [0]);
    assert.equal(registry.totalConsumed(), 3, 'records of a revoked task still count for this TaskManager');
  });

  it('closes lost partitions dirty at once', async () => {
    const sink = new FakeSink();
    const registry = new TaskRegistry({ topic: 't', graph, sink });
    await registry.handleAssignment([3]);
    const task = registry.get(3);
    const handover = registry.handleLost([3]);
    assert.deepEqual(handover.partitions, [3]);
    assert.equal(task?.state, 'CLOSED_DIRTY');
    assert.equal(registry.size, 0);
  });
});
