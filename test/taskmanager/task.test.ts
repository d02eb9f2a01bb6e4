import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromKafka } from '../../src/api/pipeline.js';
import type { SourceRecord } from '../../src/api/source-record.js';
import { Task } from '../../src/taskmanager/task.js';
import { canTransition } from '../../src/taskmanager/task-state.js';
import { FakeSink } from '../helpers/fake-sink.js';

const graph = fromKafka((r) => JSON.parse(String(r.value)) as { id: number })
  .filter((m) => m.id !== 13)
  .map((m) => m.id)
  .sinkTo('test', () => {
    throw new Error('not used');
  });

function recs(partition: number, from: number, to: number): SourceRecord[] {
  return Array.from({ length: to - from }, (_, i) => ({
    topic: 't',
    partition,
    offset: from + i,
    key: null,
    value: Buffer.from(JSON.stringify({ id: from + i })),
    timestamp: 0,
  }));
}

async function running(sink: FakeSink, partition = 0): Promise<Task> {
  const task = new Task({ topic: 't', partition, graph, sink });
  await task.restore();
  return task;
}

describe('task state machine', () => {
  it('allows only the documented transitions', () => {
    assert.ok(canTransition('CREATED', 'RESTORING'));
    assert.ok(canTransition('RUNNING', 'SUSPENDED'));
    assert.ok(canTransition('SUSPENDED', 'CLOSED'));
    assert.ok(canTransition('RUNNING', 'CLOSED_DIRTY'));
    assert.equal(canTransition('CLOSED', 'RUNNING'), false);
    assert.equal(canTransition('CLOSED_DIRTY', 'RUNNING'), false);
    assert.equal(canTransition('RUNNING', 'CLOSED'), false, 'a clean close goes through SUSPENDED');
    assert.equal(canTransition('CREATED', 'RUNNING'), false, 'no running without restoring');
  });
});

describe('Task', () => {
  it('restores its position from the sink and claims a new epoch', async () => {
    const sink = new FakeSink();
    sink.positions.set(0, 40);
    const first = await running(sink);
    assert.equal(first.state, 'RUNNING');
    assert.equal(first.position, 40);
    const second = await running(sink);
    assert.equal(second.epoch, first.epoch + 1);
  });

  it('applies a batch through the pipeline and moves its position past it', async () => {
    const sink = new FakeSink();
    const task = await running(sink);
    const result = await task.process(recs(0, 10, 20));
    assert.equal(result.outcome, 'applied');
    assert.equal(result.consumed, 10);
    assert.equal(task.position, 20);
    assert.deepEqual(sink.applied[0]?.records, [10, 11, 12, 14, 15, 16, 17, 18, 19], 'the filter dropped 13');
  });

  it('skips records before its position (delivered again after a seek)', async () => {
    const sink = new FakeSink();
    sink.positions.set(0, 15);
    const task = await running(sink);
    const result = await task.process(recs(0, 10, 20));
    assert.equal(result.consumed, 5);
    assert.deepEqual(sink.applied[0]?.range, { firstOffset: 15, nextOffset: 20 });
  });

  it('never moves its position backwards', async () => {
    const sink = new FakeSink();
    const task = await running(sink);
    await task.process(recs(0, 0, 10));
    await task.process(recs(0, 0, 5));
    assert.equal(task.position, 10);
    assert.equal(sink.total(), 10);
  });

  it('is fenced when a newer owner claimed the partition, and writes nothing more', async () => {
    const sink = new FakeSink();
    const zombie = await running(sink);
    await running(sink); // the new owner
    const result = await zombie.process(recs(0, 0, 10));
    assert.equal(result.outcome, 'fenced');
    assert.equal(zombie.state, 'CLOSED_DIRTY');
    assert.equal(sink.total(), 0);
    assert.equal((await zombie.process(recs(0, 10, 20))).outcome, 'skipped');
  });

  it('retries a failed write until it lands: nothing is dropped', async () => {
    const sink = new FakeSink();
    const errors: number[] = [];
    const task = new Task({
      topic: 't',
      partition: 0,
      graph,
      sink,
      onApplyError: (_e, attempt) => errors.push(attempt),
    });
    await task.restore();
    sink.failNext = 3;
    const result = await task.process(recs(0, 0, 4));
    assert.equal(result.outcome, 'applied');
    assert.deepEqual(errors, [1, 2, 3]);
    assert.equal(sink.total(), 4);
  });

  it('sends records it cannot process to the dead letters before moving past them', async () => {
    const sink = new FakeSink();
    const sent: number[] = [];
    let failures = 2;
    const task = new Task({
      topic: 't',
      partition: 0,
      graph,
      sink,
      deadLetters: async (letters) => {
        if (failures-- > 0) throw new Error('broker down');
        sent.push(...letters.map((l) => l.record.offset));
      },
    });
    await task.restore();
    const batch = recs(0, 0, 3);
    batch[1] = { ...(batch[1] as SourceRecord), value: Buffer.from('not json') };
    const result = await task.process(batch);
    assert.equal(result.outcome, 'applied');
    assert.equal(result.failed, 1);
    assert.deepEqual(sent, [1], 'written after two failed attempts, not dropped');
    assert.deepEqual(sink.applied[0]?.records, [0, 2]);
    assert.equal(task.position, 3, 'the bad record counts as handled');
  });

  it('refuses to skip a bad record when there is no dead-letter topic', async () => {
    const sink = new FakeSink();
    const task = await running(sink);
    const batch = recs(0, 0, 2);
    batch[0] = { ...(batch[0] as SourceRecord), value: Buffer.from('{') };
    await assert.rejects(task.process(batch), /no dead-letter topic is configured/);
    assert.equal(sink.total(), 0);
  });

  it('finishes the batch in flight when suspended, and starts no new one', async () => {
    const sink = new FakeSink();
    const task = await running(sink);
    let release = () => {};
    sink.gate = new Promise((r) => {
      release = r;
    });
    const inFlight = task.process(recs(0, 0, 5));
    // Let it reach the sink (it is now waiting on the write), then queue another and suspend.
    await new Promise((r) => setImmediate(r));
    const queued = task.process(recs(0, 5, 10));
    const suspended = task.suspend();
    release();
    sink.gate = undefined;
    await suspended;
    assert.equal((await inFlight).outcome, 'applied');
    assert.equal((await queued).outcome, 'skipped');
    assert.equal(task.position, 5);
    task.closeClean();
    assert.equal(task.state, 'CLOSED');
  });
});
