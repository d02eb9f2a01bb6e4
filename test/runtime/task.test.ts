import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json } from '../../src/api/deserializers.js';
import { defineJob } from '../../src/api/job-definition.js';
import type { SourceRecord } from '../../src/api/records.js';
import { defineSink, SinkError } from '../../src/api/sinks.js';
import type { DeadLetter } from '../../src/connectors/kafka/dead-letter-queue.js';
import type { SinkConnector } from '../../src/connectors/sink-connector.js';
import { buildPlan } from '../../src/plan/job-plan.js';
import { compileStage } from '../../src/runtime/compile-stage.js';
import { Task } from '../../src/runtime/task.js';
import type { TaskOptions } from '../../src/runtime/task-options.js';
import { canTransition } from '../../src/runtime/task-state.js';
import {
  FakeGuardedConnector,
  FakeTransactionalConnector,
  MemoryLeases,
  recs,
} from '../helpers/fake-connectors.js';

const job = defineJob({
  name: 'ids',
  build(j) {
    j.fromKafka('t', json<{ id: number }>())
      .filter((m) => m.id !== 13)
      .map((m) => m.id)
      .sinkTo(defineSink<number>({ name: 'ids', write() {} }));
  },
});
const plan = buildPlan(job, {});
const stage = compileStage(plan, plan.stages[0] as NonNullable<(typeof plan.stages)[0]>);

interface Harness {
  task: Task;
  seeks: number[];
  leases: MemoryLeases;
}

function makeTask(
  connectors: SinkConnector[],
  options: Partial<TaskOptions> & { leases?: MemoryLeases } = {},
): Harness {
  const seeks: number[] = [];
  const leases = options.leases ?? new MemoryLeases();
  const task = new Task({
    task: { id: 't-0', topic: 't', partition: 0 },
    slot: 0,
    stage,
    connectors,
    leases,
    start: -1,
    seek: (offset) => seeks.push(offset),
    backoffMs: () => 0,
    ...options,
  });
  return { task, seeks, leases };
}

async function running(
  connectors: SinkConnector[],
  options: Parameters<typeof makeTask>[1] = {},
): Promise<Harness> {
  const h = makeTask(connectors, options);
  await h.task.restore();
  return h;
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
  it("claims a new lease epoch and resumes where its sink's durable output ends", async () => {
    const sink = new FakeGuardedConnector();
    sink.positions.set('t-0', 40);
    const first = await running([sink]);
    assert.equal(first.task.state, 'RUNNING');
    assert.equal(first.task.position, 40);
    const second = await running([sink], { leases: first.leases });
    assert.equal(second.task.epoch, first.task.epoch + 1);
  });

  it('resumes from the lowest position any sink still needs, and gives each sink only what it lacks', async () => {
    const ahead = new FakeGuardedConnector();
    ahead.positions.set('t-0', 8);
    const tx = new FakeTransactionalConnector();
    tx.committedOffsets.set('t-0', 5);
    const { task } = await running([ahead, tx]);
    assert.equal(task.position, 5);
    await task.process(recs(0, 5, 10));
    assert.deepEqual(ahead.values(), [8, 9], 'the guarded sink had 5..7 already');
    await task.snapshot(1);
    await task.completeCheckpoint(1);
    assert.deepEqual(tx.visible, [5, 6, 7, 8, 9]);
  });

  it('never reads before the run started, whatever an old record says', async () => {
    const sink = new FakeGuardedConnector();
    sink.positions.set('t-0', 3);
    const { task } = await running([sink], { start: 100 });
    assert.equal(task.position, 100);
  });

  it('applies a batch through the compiled stage and moves its position past it', async () => {
    const sink = new FakeGuardedConnector();
    const { task } = await running([sink]);
    const result = await task.process(recs(0, 10, 20));
    assert.equal(result.outcome, 'applied');
    assert.equal(result.consumed, 10);
    assert.equal(result.emitted, 9);
    assert.equal(task.position, 20);
    assert.deepEqual(sink.applied[0]?.values, [10, 11, 12, 14, 15, 16, 17, 18, 19], 'the filter dropped 13');
  });

  it('skips records before its position (delivered again after a seek)', async () => {
    const sink = new FakeGuardedConnector();
    sink.positions.set('t-0', 15);
    const { task } = await running([sink]);
    const result = await task.process(recs(0, 10, 20));
    assert.equal(result.consumed, 5);
    assert.deepEqual(sink.applied[0]?.range, [15, 20]);
  });

  it('never moves its position backwards', async () => {
    const sink = new FakeGuardedConnector();
    const { task } = await running([sink]);
    await task.process(recs(0, 0, 10));
    await task.process(recs(0, 0, 5));
    assert.equal(task.position, 10);
    assert.equal(sink.values().length, 10);
  });

  it('is fenced when a newer owner claimed the task, and writes nothing more', async () => {
    const sink = new FakeGuardedConnector();
    const old = await running([sink]);
    await running([sink], { leases: old.leases });
    const result = await old.task.process(recs(0, 0, 5));
    assert.equal(result.outcome, 'fenced');
    assert.equal(old.task.state, 'CLOSED_DIRTY');
    assert.equal((await old.task.process(recs(0, 5, 6))).outcome, 'skipped');
    assert.equal(sink.values().length, 0);
  });

  it('retries a failed write until it lands: nothing is dropped', async () => {
    const sink = new FakeGuardedConnector();
    const errors: number[] = [];
    const { task } = await running([sink], { onError: (_what, _e, attempt) => errors.push(attempt) });
    sink.failNext = 3;
    const result = await task.process(recs(0, 0, 4));
    assert.equal(result.outcome, 'applied');
    assert.deepEqual(errors, [1, 2, 3]);
    assert.equal(sink.values().length, 4);
  });

  it('sends records it cannot process to the dead letters before moving past them', async () => {
    const sink = new FakeGuardedConnector();
    const sent: number[] = [];
    let failures = 2;
    const { task } = await running([sink], {
      deadLetters: async (letters) => {
        if (failures-- > 0) throw new Error('broker down');
        sent.push(...letters.map((l) => l.record.offset));
      },
    });
    const batch = recs(0, 0, 3);
    batch[1] = { ...(batch[1] as SourceRecord), value: Buffer.from('not json') };
    const result = await task.process(batch);
    assert.equal(result.outcome, 'applied');
    assert.equal(result.failed, 1);
    assert.deepEqual(sent, [1], 'written after two failed attempts, not dropped');
    assert.deepEqual(sink.applied[0]?.values, [0, 2]);
    assert.equal(task.position, 3, 'the bad record counts as handled');
  });

  it('refuses to skip a bad record when there is no dead-letter topic', async () => {
    const sink = new FakeGuardedConnector();
    const { task } = await running([sink]);
    const batch = recs(0, 0, 2);
    batch[0] = { ...(batch[0] as SourceRecord), value: Buffer.from('{') };
    await assert.rejects(task.process(batch), /no dead-letter topic is configured/);
    assert.equal(sink.values().length, 0);
  });

  it('sends the records of a batch a sink refuses for good to the dead letters, and goes on', async () => {
    const sink = new FakeGuardedConnector();
    const letters: DeadLetter[] = [];
    const { task } = await running([sink], { deadLetters: async (l) => void letters.push(...l) });
    sink.refuseNext = new SinkError('WRONGTYPE', { retriable: false });
    const result = await task.process(recs(0, 0, 3));
    assert.equal(result.outcome, 'applied');
    assert.deepEqual(
      letters.map((l) => [l.record.offset, l.failure.code]),
      [
        [0, 'RECORD_SINK_REFUSED'],
        [1, 'RECORD_SINK_REFUSED'],
        [2, 'RECORD_SINK_REFUSED'],
      ],
    );
    assert.equal(task.position, 3);
    await task.process(recs(0, 3, 5));
    assert.deepEqual(sink.values(), [3, 4]);
  });

  it('finishes the batch in flight when suspended, and starts no new one', async () => {
    const sink = new FakeGuardedConnector();
    const { task } = await running([sink]);
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

describe('Task with a transactional sink', () => {
  it('commits results only once the checkpoint completed, and stages nothing into a prepared transaction', async () => {
    const tx = new FakeTransactionalConnector();
    const { task } = await running([tx]);
    await task.process(recs(0, 0, 4));
    const snapshot = await task.snapshot(1);
    assert.equal(snapshot?.position, 4);
    const next = task.process(recs(0, 4, 6));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(tx.visible, [], 'nothing visible before the checkpoint completed');
    await task.completeCheckpoint(1);
    await next;
    assert.deepEqual(tx.visible, [0, 1, 2, 3], 'the later batch waited for the commit');
    assert.equal(tx.committedOffsets.get('t-0'), 4);
  });

  it('a send failing mid-batch aborts the transaction and reads its records again: none twice', async () => {
    const tx = new FakeTransactionalConnector();
    const { task, seeks } = await running([tx]);
    await task.process(recs(0, 0, 10));
    tx.failSendAt = 3;
    await task.process(recs(0, 10, 20));
    assert.deepEqual(seeks, [0], 'the consumer is sent back to the last commit at once');
    assert.equal(task.position, 0);
    // Records fetched before the seek are dropped, then the re-read ones are taken.
    await task.process(recs(0, 20, 30));
    await task.process(recs(0, 0, 30));
    await task.snapshot(1);
    await task.completeCheckpoint(1);
    assert.deepEqual(
      tx.visible,
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 13),
    );
  });

  it('a checkpoint aborted while the task prepared it does not hold its next batches back', async () => {
    const tx = new FakeTransactionalConnector();
    // A timeout far longer than the test: only the abort may let the next batch through.
    const { task } = await running([tx], { checkpointTimeoutMs: 600_000 });
    await task.process(recs(0, 0, 4));
    let release = () => {};
    tx.holdPrepare = new Promise<void>((resolve) => {
      release = resolve;
    });
    const snapshot = task.snapshot(1);
    await new Promise((r) => setImmediate(r));
    // Another task declined: the checkpoint ended before this task's phase one returned.
    task.abortCheckpoint(1);
    release();
    await snapshot;
    const next = await Promise.race([
      task.process(recs(0, 4, 8)).then((r) => r.outcome),
      new Promise((r) => setTimeout(r, 5_000, 'held back')),
    ]);
    assert.equal(next, 'applied');
    // What was prepared for the aborted checkpoint stays in the transaction: the next one commits it.
    assert.equal((await task.snapshot(2))?.position, 8);
    await task.completeCheckpoint(2);
    assert.deepEqual(tx.visible, [0, 1, 2, 3, 4, 5, 6, 7]);
    // A snapshot queued for a checkpoint that already ended prepares nothing.
    task.abortCheckpoint(3);
    assert.equal(await task.snapshot(3), undefined);
  });

  it('computes the next batch while the checkpoint commits, and writes it only after', async () => {
    let calls = 0;
    const counting = defineJob({
      name: 'counting',
      build(j) {
        j.fromKafka('t', json<{ id: number }>())
          .map((m) => {
            calls++;
            return m.id;
          })
          .sinkTo(defineSink<number>({ name: 'ids', write() {} }));
      },
    });
    const countingPlan = buildPlan(counting, {});
    const tx = new FakeTransactionalConnector();
    const { task } = await running([tx], {
      stage: compileStage(
        countingPlan,
        countingPlan.stages[0] as NonNullable<(typeof countingPlan.stages)[0]>,
      ),
    });
    await task.process(recs(0, 0, 4));
    await task.snapshot(1);
    const next = task.process(recs(0, 4, 8));
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 8, "the next batch's code ran while checkpoint 1 waited for its commit");
    assert.deepEqual(tx.visible, []);
    await task.completeCheckpoint(1);
    assert.equal((await next).outcome, 'applied');
    assert.deepEqual(
      tx.visible,
      [0, 1, 2, 3],
      'its results went into the next transaction, not the committed one',
    );
    await task.snapshot(2);
    await task.completeCheckpoint(2);
    assert.deepEqual(tx.visible, [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a batch computed while a commit failed is void: its records are read again, none lost or twice', async () => {
    const tx = new FakeTransactionalConnector();
    const { task, seeks } = await running([tx]);
    await task.process(recs(0, 0, 10));
    await task.snapshot(1);
    const pending = task.process(recs(0, 10, 20));
    await new Promise((r) => setImmediate(r));
    tx.failNextCommit = true;
    await task.completeCheckpoint(1);
    assert.equal((await pending).outcome, 'skipped', 'computed before the rewind: nothing of it is written');
    assert.deepEqual(seeks, [0]);
    assert.equal(task.position, 0);
    await task.process(recs(0, 0, 20));
    await task.snapshot(2);
    await task.completeCheckpoint(2);
    assert.deepEqual(
      tx.visible,
      Array.from({ length: 20 }, (_, i) => i).filter((i) => i !== 13),
      'every record once',
    );
  });

  it('a failed commit rewinds at once: batches already fetched cannot move past the aborted range', async () => {
    const tx = new FakeTransactionalConnector();
    const { task, seeks } = await running([tx]);
    await task.process(recs(0, 0, 10));
    await task.snapshot(1);
    await task.completeCheckpoint(1);
    await task.process(recs(0, 10, 20));
    await task.snapshot(2);
    tx.failNextCommit = true;
    await task.completeCheckpoint(2);
    assert.deepEqual(
      seeks,
      [10],
      'seeks back to the last commit when the commit fails, not at the next checkpoint',
    );
    // A batch fetched before the seek (20..29) arrives next: it must not move the position on.
    assert.equal((await task.process(recs(0, 20, 30))).outcome, 'skipped');
    assert.equal(task.position, 10);
    await task.process(recs(0, 10, 30));
    await task.snapshot(3);
    await task.completeCheckpoint(3);
    assert.deepEqual(
      tx.visible,
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 13),
      'every record once',
    );
  });
});

describe('Task with per-task commits (commitAtBarrier)', () => {
  it('commits at the barrier: visible before the checkpoint completes, and the next batch is not held', async () => {
    const tx = new FakeTransactionalConnector();
    // A timeout far longer than the test: a closed gate would hold the next batch back.
    const { task } = await running([tx], { commitAtBarrier: true, checkpointTimeoutMs: 600_000 });
    await task.process(recs(0, 0, 4));
    assert.equal((await task.snapshot(1))?.position, 4);
    assert.deepEqual(tx.visible, [0, 1, 2, 3], 'committed with the snapshot, before any completion');
    assert.equal(tx.committedOffsets.get('t-0'), 4);
    const next = await Promise.race([
      task.process(recs(0, 4, 8)).then((r) => r.outcome),
      new Promise((r) => setTimeout(r, 5_000, 'held back')),
    ]);
    assert.equal(next, 'applied');
    // The checkpoint ends elsewhere (completed or aborted): nothing more to commit for it.
    task.abortCheckpoint(1);
    await task.completeCheckpoint(1);
    assert.deepEqual(tx.visible, [0, 1, 2, 3]);
    await task.snapshot(2);
    assert.deepEqual(tx.visible, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(tx.committedOffsets.get('t-0'), 8);
  });

  /** With per-task commits asked for, `tx` still shows nothing until the checkpoint completed. */
  async function assertTwoPhases(tx: FakeTransactionalConnector, connectors: SinkConnector[]) {
    const { task } = await running(connectors, { commitAtBarrier: true });
    await task.process(recs(0, 0, 4));
    await task.snapshot(1);
    assert.deepEqual(tx.visible, [], 'nothing visible before the checkpoint completed');
    await task.completeCheckpoint(1);
    assert.deepEqual(tx.visible, [0, 1, 2, 3]);
  }

  it('keeps the two phases for a task with a sink outside the transaction', async () => {
    const tx = new FakeTransactionalConnector();
    await assertTwoPhases(tx, [tx, new FakeGuardedConnector()]);
  });

  it("keeps the two phases for a user's transactional sink (its transaction holds no offsets)", async () => {
    const tx = new FakeTransactionalConnector();
    // defineSink's transactional kind: prepare and commit by checkpoint, recovered by the last completed one.
    Object.defineProperty(tx, 'commitsOffsets', { value: false });
    await assertTwoPhases(tx, [tx]);
  });

  it('a commit failing at the barrier declines the checkpoint and reads the range again: none lost or twice', async () => {
    const tx = new FakeTransactionalConnector();
    const { task, seeks } = await running([tx], { commitAtBarrier: true });
    await task.process(recs(0, 0, 10));
    await task.snapshot(1);
    await task.process(recs(0, 10, 20));
    tx.failNextCommit = true;
    assert.equal(await task.snapshot(2), undefined, 'declined');
    assert.equal(task.declined, 'its transaction aborted');
    assert.deepEqual(seeks, [10], 'back to the last commit at once');
    assert.equal((await task.process(recs(0, 20, 30))).outcome, 'skipped', 'fetched before the seek');
    await task.process(recs(0, 10, 30));
    await task.snapshot(3);
    assert.deepEqual(
      tx.visible,
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 13),
      'every record once',
    );
  });

  /** Busy-waits (no timers) until `ms` have passed since `from`: an interval of 1 ms is then due. */
  const pass = (from: number, ms: number) => {
    while (Date.now() - from < ms) {}
  };

  it('commits on its own clock after a batch once the interval passed, with no barrier', async () => {
    const tx = new FakeTransactionalConnector();
    const created = Date.now();
    const { task } = await running([tx], { commitAtBarrier: true, commitIntervalMs: 1 });
    pass(created, 2);
    await task.process(recs(0, 0, 4));
    assert.deepEqual(tx.visible, [0, 1, 2, 3], 'committed after the batch, no checkpoint at all');
    assert.equal(tx.committedOffsets.get('t-0'), 4);
  });

  it('waits for the barrier while the interval has not passed, and never commits on its own when aligned', async () => {
    const perTask = new FakeTransactionalConnector();
    const early = await running([perTask], { commitAtBarrier: true, commitIntervalMs: 600_000 });
    await early.task.process(recs(0, 0, 4));
    assert.deepEqual(perTask.visible, []);
    await early.task.snapshot(1);
    assert.deepEqual(perTask.visible, [0, 1, 2, 3], 'at the barrier');
    const aligned = new FakeTransactionalConnector();
    const created = Date.now();
    const { task } = await running([aligned], { commitIntervalMs: 1 });
    pass(created, 2);
    await task.process(recs(0, 0, 4));
    assert.deepEqual(aligned.visible, [], 'aligned: only a completed checkpoint commits');
  });

  it('commits what its last batch wrote once the interval passed, with no more records', async () => {
    const tx = new FakeTransactionalConnector();
    const { task } = await running([tx], { commitAtBarrier: true, commitIntervalMs: 200 });
    await task.process(recs(0, 0, 4));
    pass(Date.now(), 210);
    await task.tick();
    assert.deepEqual(tx.visible, [0, 1, 2, 3], 'committed by the tick, no batch and no barrier');
    assert.equal(tx.committedOffsets.get('t-0'), 4);
  });

  it('an own commit that fails reads its range again: none lost or twice', async () => {
    const tx = new FakeTransactionalConnector();
    const created = Date.now();
    const { task, seeks } = await running([tx], { commitAtBarrier: true, commitIntervalMs: 1 });
    pass(created, 2);
    await task.process(recs(0, 0, 10));
    tx.failNextCommit = true;
    pass(Date.now(), 2);
    await task.process(recs(0, 10, 20));
    assert.deepEqual(seeks, [10], 'back to the last commit at once');
    assert.equal(task.position, 10);
    assert.equal((await task.process(recs(0, 20, 30))).outcome, 'skipped', 'fetched before the seek');
    pass(Date.now(), 2);
    await task.process(recs(0, 10, 30));
    assert.deepEqual(
      tx.visible,
      Array.from({ length: 30 }, (_, i) => i).filter((i) => i !== 13),
      'every record once',
    );
  });
});
