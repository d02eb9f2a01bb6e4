import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointCoordinator } from '../../src/checkpoint/checkpoint-coordinator.js';
import type { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import type { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import type { CompletedCheckpoint, TaskSnapshot } from '../../src/checkpoint/completed-checkpoint.js';
import { PendingCheckpoint } from '../../src/checkpoint/pending-checkpoint.js';

class MemoryStore {
  readonly saved: CompletedCheckpoint[] = [];
  fail = false;
  /** Set: each add waits for it (a slow Redis), so acknowledgements can arrive meanwhile. */
  gate: Promise<void> | undefined;
  async add(c: CompletedCheckpoint): Promise<void> {
    await this.gate;
    if (this.fail) throw new Error('redis down');
    this.saved.unshift(c);
  }
}

const snap = (partition: number, position: number, epoch = 1): TaskSnapshot => ({
  task: partition,
  topic: 't',
  partition,
  position,
  epoch,
  state: {},
});

function coordinator(
  options: { partitions?: number; timeoutMs?: number; previous?: CompletedCheckpoint } = {},
) {
  const store = new MemoryStore();
  const triggered: number[] = [];
  const notified: number[] = [];
  const aborted: [number, CheckpointFailureReason][] = [];
  const c = new CheckpointCoordinator({
    jobRunId: 'run-1',
    tasks: options.partitions ?? 2,
    intervalMs: 60_000,
    timeoutMs: options.timeoutMs ?? 5000,
    store: store as unknown as CheckpointStore,
    trigger: (id) => triggered.push(id),
    notifyComplete: (cp) => notified.push(cp.id),
    onAborted: (id, reason) => aborted.push([id, reason]),
    ...(options.previous ? { previous: options.previous } : {}),
  });
  return { c, store, triggered, notified, aborted };
}

describe('PendingCheckpoint', () => {
  it('answers late, repeated and unknown acknowledgements instead of throwing', () => {
    const p = new PendingCheckpoint(1, 'r', 2, 0);
    assert.equal(p.acknowledge(snap(0, 5)), 'ACCEPTED');
    assert.equal(p.acknowledge(snap(0, 5)), 'DUPLICATE');
    assert.equal(p.acknowledge(snap(7, 5)), 'UNKNOWN');
    assert.equal(p.acknowledge(snap(0, 6, 2)), 'ACCEPTED', "a newer owner's snapshot replaces the older one");
    p.abort('TIMEOUT');
    assert.equal(p.acknowledge(snap(1, 5)), 'DISCARDED');
  });
});

describe('CheckpointCoordinator', () => {
  it('completes when every partition acknowledged, stores it, then tells the TaskManagers', async () => {
    const { c, store, triggered, notified } = coordinator();
    const done = c.triggerCheckpoint();
    assert.deepEqual(triggered, [1]);
    assert.deepEqual(c.acknowledge(1, [snap(1, 20)]), ['ACCEPTED']);
    assert.deepEqual(c.acknowledge(1, [snap(0, 10)]), ['ACCEPTED']);
    const cp = await done;
    assert.deepEqual(
      cp?.tasks.map((t) => [t.partition, t.position]),
      [
        [0, 10],
        [1, 20],
      ],
    );
    assert.equal(store.saved[0]?.id, 1);
    assert.deepEqual(notified, [1]);
    assert.deepEqual(c.acknowledge(1, [snap(0, 10)]), ['DISCARDED'], 'a late ack of a finished checkpoint');
    assert.deepEqual(c.acknowledge(9, [snap(0, 10)]), ['UNKNOWN']);
  });

  it('takes an acknowledgement that arrives while the completed checkpoint is being stored, completing it once', async () => {
    // Seen in a broker restart: a task's snapshot came again (a newer owner's) while the store was
    // writing, and a second completion threw "already COMPLETED" as an unhandled rejection.
    const { c, store, notified } = coordinator();
    let open = () => {};
    store.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const done = c.triggerCheckpoint();
    c.acknowledge(1, [snap(0, 10)]);
    c.acknowledge(1, [snap(1, 20)]);
    assert.deepEqual(c.acknowledge(1, [snap(1, 21, 2)]), ['DISCARDED']);
    open();
    const completed = await done;
    assert.equal(completed?.id, 1);
    assert.equal(store.saved.length, 1);
    assert.deepEqual(notified, [1]);
  });

  it('aborts with TASK_DECLINED when a task declines, and the next checkpoint gets a new id', async () => {
    const { c, aborted, notified } = coordinator();
    const first = c.triggerCheckpoint();
    c.acknowledge(1, [snap(0, 1)]);
    c.decline(1, 'TM-02: partition 1 is restoring');
    assert.equal(await first, undefined);
    assert.deepEqual(aborted, [[1, 'TASK_DECLINED']]);
    assert.deepEqual(notified, []);
    const second = c.triggerCheckpoint();
    c.acknowledge(2, [snap(0, 1), snap(1, 1)]);
    assert.equal((await second)?.id, 2);
    assert.deepEqual(c.stats.aborted, { TASK_DECLINED: 1 });
  });

  it('aborts with TIMEOUT when a partition never acknowledges', async () => {
    const { c, aborted } = coordinator({ timeoutMs: 50 });
    const pending = c.triggerCheckpoint();
    c.acknowledge(1, [snap(0, 1)]);
    assert.equal(await pending, undefined);
    assert.deepEqual(aborted, [[1, 'TIMEOUT']]);
  });

  it('aborts on a rebalance or a lost task while pending', async () => {
    const { c, aborted } = coordinator();
    const a = c.triggerCheckpoint();
    c.ownershipChanged('revoked', 'TM-01 handed over');
    await a;
    const b = c.triggerCheckpoint();
    c.ownershipChanged('lost', 'TM-03 disconnected');
    await b;
    assert.deepEqual(aborted, [
      [1, 'REBALANCE'],
      [2, 'TASK_LOST'],
    ]);
  });

  it('never completes a checkpoint whose positions went backwards', async () => {
    const { c, aborted, store } = coordinator();
    const a = c.triggerCheckpoint();
    c.acknowledge(1, [snap(0, 10), snap(1, 10)]);
    await a;
    const b = c.triggerCheckpoint();
    c.acknowledge(2, [snap(0, 11), snap(1, 9)]);
    assert.equal(await b, undefined);
    assert.deepEqual(aborted, [[2, 'POSITION_WENT_BACKWARDS']]);
    assert.equal(store.saved.length, 1);
  });

  it('aborts with STORE_FAILED when the store cannot be written, and notifies nobody', async () => {
    const { c, aborted, store, notified } = coordinator();
    store.fail = true;
    const a = c.triggerCheckpoint();
    c.acknowledge(1, [snap(0, 1), snap(1, 1)]);
    assert.equal(await a, undefined);
    assert.deepEqual(aborted, [[1, 'STORE_FAILED']]);
    assert.deepEqual(notified, []);
  });

  it('continues the numbering of the stored history; checks monotonicity only within a run', async () => {
    const previous: CompletedCheckpoint = {
      id: 41,
      jobRunId: 'older-run',
      triggeredAt: 0,
      completedAt: 0,
      tasks: [snap(0, 500), snap(1, 500)],
    };
    const { c, triggered } = coordinator({ previous });
    const a = c.triggerCheckpoint();
    c.acknowledge(42, [snap(0, 3), snap(1, 3)]);
    assert.equal((await a)?.id, 42, 'a new run (topic recreated) may start lower');
    assert.deepEqual(triggered, [42]);
  });
});
