// A user's sink behind the runtime: it only writes, and the runtime makes it exactly once — stable
// record ids for an idempotent sink, prepare/commit/recover at checkpoints for a transactional one,
// an aborted open transaction read again after a failed write, a permanent error to the dead letters.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json } from '../../src/api/deserializers.js';
import { defineJob } from '../../src/api/job-definition.js';
import { defineSink, type SinkBatch, SinkError, type SinkTask } from '../../src/api/sinks.js';
import type { DeadLetter } from '../../src/connectors/kafka/dead-letter-queue.js';
import { buildPlan } from '../../src/plan/job-plan.js';
import { compileStage } from '../../src/runtime/compile-stage.js';
import { Task } from '../../src/runtime/task.js';
import { UserSinkConnector } from '../../src/runtime/user-sink-connector.js';
import { MemoryLeases, recs } from '../helpers/fake-connectors.js';

/** A key-value store that a user's idempotent sink upserts into. */
class Store {
  readonly rows = new Map<string, number>();
  writes = 0;
  failNext = 0;
}

function idempotent(store: Store) {
  return defineSink<number>({
    name: 'store',
    write(batch: SinkBatch<number>) {
      if (store.failNext-- > 0) throw new Error('store unavailable');
      for (const r of batch.records) store.rows.set(r.id, r.value);
      store.writes++;
    },
  });
}

/** A transactional sink in the shape of Flink's: staged, prepared per checkpoint, committed, recovered. */
class TxStore {
  readonly visible: number[] = [];
  readonly log: string[] = [];
  open: number[] = [];
  readonly prepared = new Map<number, number[]>();
  failWriteAfter: number | undefined;

  sink() {
    return defineSink<number>({
      name: 'tx',
      write: (batch) => {
        for (const r of batch.records) {
          if (this.failWriteAfter !== undefined && this.failWriteAfter-- === 0) throw new Error('disk full');
          this.open.push(r.value);
        }
      },
      prepare: (_task: SinkTask, checkpointId: number) => {
        this.log.push(`prepare ${checkpointId}`);
        this.prepared.set(checkpointId, this.open);
        this.open = [];
      },
      commit: (_task: SinkTask, checkpointId: number) => {
        this.log.push(`commit ${checkpointId}`);
        for (const [id, values] of [...this.prepared].sort((a, b) => a[0] - b[0])) {
          if (id > checkpointId) continue;
          this.visible.push(...values);
          this.prepared.delete(id);
        }
      },
      recover: (task: SinkTask, checkpointId: number | undefined) => {
        this.log.push(`recover ${task.id} ${checkpointId}`);
        for (const [id, values] of [...this.prepared].sort((a, b) => a[0] - b[0])) {
          if (checkpointId !== undefined && id <= checkpointId) this.visible.push(...values);
          this.prepared.delete(id);
        }
        this.open = [];
      },
      abort: () => {
        this.log.push('abort');
        this.open = [];
      },
    });
  }
}

function taskWith(
  sink: ReturnType<typeof defineSink<number>>,
  options: { deadLetters?: (l: DeadLetter[]) => Promise<void>; leases?: MemoryLeases } = {},
) {
  const job = defineJob({
    name: 'user-sink',
    build(j) {
      j.fromKafka('t', json<{ id: number }>())
        .flatMap((m) => [m.id, -m.id])
        .sinkTo(sink);
    },
  });
  const plan = buildPlan(job, {});
  const stage = compileStage(plan, plan.stages[0] as NonNullable<(typeof plan.stages)[0]>);
  const connector = new UserSinkConnector(sink as never, 0, { jobName: 'user-sink', taskManagerId: 'TM-T' });
  const seeks: number[] = [];
  const task = new Task({
    task: { id: 't-0', topic: 't', partition: 0 },
    slot: 0,
    stage,
    connectors: [connector],
    leases: options.leases ?? new MemoryLeases(),
    start: 0,
    seek: (o) => seeks.push(o),
    backoffMs: () => 0,
    ...(options.deadLetters ? { deadLetters: options.deadLetters } : {}),
  });
  return { task, seeks };
}

describe('a user-defined sink', () => {
  it('gets stable ids per result, so a replay after a failover writes the same rows again', async () => {
    const store = new Store();
    const first = taskWith(idempotent(store));
    await first.task.restore();
    await first.task.process(recs(0, 0, 3));
    assert.deepEqual([...store.rows.keys()].slice(0, 4), ['t-0-0-0', 't-0-0-1', 't-0-1-0', 't-0-1-1']);
    // A new owner resumes from the last checkpoint (none here: the run's start) and replays.
    const second = taskWith(idempotent(store));
    await second.task.restore();
    await second.task.process(recs(0, 0, 4));
    assert.equal(store.rows.size, 8, 'the replayed records landed on their own rows, once');
    assert.equal(store.rows.get('t-0-3-1'), -3);
  });

  it('retries a write that fails with an ordinary error, and sends a permanently refused batch to the dead letters', async () => {
    const store = new Store();
    const letters: DeadLetter[] = [];
    const { task } = taskWith(
      defineSink<number>({
        name: 'picky',
        write(batch) {
          if (store.failNext-- > 0) throw new Error('timeout');
          if (batch.records.some((r) => r.value === 7))
            throw new SinkError('7 is not allowed', { retriable: false });
          for (const r of batch.records) store.rows.set(r.id, r.value);
        },
      }),
      { deadLetters: async (l) => void letters.push(...l) },
    );
    await task.restore();
    store.failNext = 2;
    await task.process(recs(0, 0, 2));
    assert.equal(store.rows.size, 4, 'landed after two retries');
    await task.process(recs(0, 7, 8));
    assert.deepEqual(
      letters.map((l) => [l.record.offset, l.failure.code, l.failure.message]),
      [[7, 'RECORD_SINK_REFUSED', "sink 'picky': 7 is not allowed"]],
    );
    assert.equal(task.position, 8, 'the partition goes on');
  });

  it('is prepared at each checkpoint and committed when it completes; a new owner recovers the last completed one', async () => {
    const tx = new TxStore();
    const leases = new MemoryLeases();
    const { task } = taskWith(tx.sink(), { leases });
    await task.restore();
    await task.process(recs(0, 0, 2));
    await task.snapshot(1);
    assert.deepEqual(tx.visible, [], 'invisible until the checkpoint completed');
    await task.completeCheckpoint(1);
    assert.deepEqual(tx.visible, [0, -0, 1, -1]);
    await task.process(recs(0, 2, 3));
    await task.snapshot(2);
    // Checkpoint 2 completed (the JobManager recorded position 3) but this owner died before phase two.
    leases.positions.set('t-0', { position: 3, checkpointId: 2 });
    const next = taskWith(tx.sink(), { leases });
    assert.equal(await next.task.restore(), 3, 'resumes after what checkpoint 2 holds');
    assert.deepEqual(tx.visible, [0, -0, 1, -1, 2, -2], 'recover committed what checkpoint 2 had prepared');
    assert.deepEqual(tx.log.slice(-1), ['recover t-0 2']);
  });

  it('a write failing half way drops the open transaction and reads its records again: none twice', async () => {
    const tx = new TxStore();
    const { task, seeks } = taskWith(tx.sink());
    await task.restore();
    await task.process(recs(0, 0, 2));
    await task.snapshot(1);
    await task.completeCheckpoint(1);
    await task.process(recs(0, 2, 4));
    tx.failWriteAfter = 3;
    await task.process(recs(0, 4, 6));
    assert.deepEqual(seeks, [2], 'back to what is committed');
    assert.ok(tx.log.includes('abort'));
    await task.process(recs(0, 2, 6));
    await task.snapshot(2);
    await task.completeCheckpoint(2);
    assert.deepEqual(tx.visible, [0, -0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5]);
  });

  it('numbers the results of one record apart when they come under copies of it (windows its timers closed)', async () => {
    const store = new Store();
    const connector = new UserSinkConnector(idempotent(store), 0, { jobName: 'j', taskManagerId: 'TM-01' });
    const [a, b] = recs(0, 5, 7);
    const at = (record: typeof a, key: string) => ({
      ...(record as NonNullable<typeof a>),
      key,
      timestamp: 9,
    });
    // Three windows closed by the record at offset 5 (each emitted from its own timer), one by 6.
    const sources = [at(a, 'k1'), at(a, 'k2'), at(a, 'k3'), at(b, 'k1')];
    const outcome = await connector.write({
      task: { id: 't-0', topic: 't', partition: 0 },
      epoch: 1,
      firstOffset: 5,
      nextOffset: 7,
      outputs: [{ sink: 0, values: [1, 2, 3, 4], sources }],
    });
    assert.deepEqual(outcome, { status: 'written' });
    assert.deepEqual([...store.rows.keys()], ['t-0-5-0', 't-0-5-1', 't-0-5-2', 't-0-6-0']);
  });

  it("an idempotent sink's results of time passing: ids from the task's tick number, the same when handed over again", async () => {
    const store = new Store();
    const connector = new UserSinkConnector(idempotent(store), 0, { jobName: 'j', taskManagerId: 'TM-01' });
    const task = { id: 't-3', topic: 't', partition: 3 };
    const outputs = [{ sink: 0, values: [7, 8], sources: [] }];
    assert.equal(await connector.writeHeld(task, 1, outputs), 'written');
    // A crash between the write and dropping it from state: the new owner hands tick 1 over again.
    await connector.writeHeld(task, 1, outputs);
    await connector.writeHeld(task, 2, [{ sink: 0, values: [9], sources: [] }]);
    assert.deepEqual(
      [...store.rows],
      [
        ['t-3-t1-0', 7],
        ['t-3-t1-1', 8],
        ['t-3-t2-0', 9],
      ],
    );
  });
});
