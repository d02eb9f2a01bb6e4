import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskManagerRegistry } from '../../src/jobmanager/taskmanager-registry.js';

const reg = (id: string, pid = 1) => ({ taskManagerId: id, pid, host: 'h', clientId: `sluice-${id}` });
const report = (partitions: number[]) => ({
  status: partitions.length ? ('ACTIVE' as const) : ('IDLE' as const),
  tasks: partitions.map((p) => ({
    task: p,
    topic: 't',
    partition: p,
    position: 0,
    consumed: 10,
    emitted: 20,
    deadLettered: 1,
    state: 'RUNNING',
  })),
  consumed: 0,
  emitted: 0,
  taskTotals: [] as { task: number; consumed: number; emitted: number; deadLettered: number }[],
  rssBytes: 1,
  lastCommittedCheckpoint: 0,
  latency: {},
  fencedWrites: 0,
  deadLettered: 0,
});

describe('TaskManagerRegistry', () => {
  it('refuses a second live registration of the same id, accepts it after a disconnect', () => {
    const r = new TaskManagerRegistry();
    assert.deepEqual(r.register(reg('TM-01', 10)), { ok: true, reconnected: false });
    const again = r.register(reg('TM-01', 11));
    assert.equal(again.ok, false);
    assert.match(again.ok ? '' : again.reason, /already registered by pid 10 on h/);
    r.disconnected('TM-01');
    assert.deepEqual(r.register(reg('TM-01', 11)), { ok: true, reconnected: false });
    assert.equal(r.get('TM-01')?.pid, 11);
  });

  it('takes the same process registering again as a reconnection and keeps what it knew', () => {
    const r = new TaskManagerRegistry();
    r.register({ ...reg('TM-01', 10), address: '198.18.0.4' });
    r.heartbeat('TM-01', report([3]));
    const again = r.register({ ...reg('TM-01', 10), address: '198.18.0.9' });
    assert.deepEqual(again, { ok: true, reconnected: true });
    assert.deepEqual(r.get('TM-01')?.tasks, [3]);
    assert.equal(r.get('TM-01')?.status, 'ACTIVE');
    assert.equal(r.get('TM-01')?.address, '198.18.0.9');
    // Same id and pid from another host is another process: refused.
    assert.equal(r.register({ ...reg('TM-01', 10), host: 'other' }).ok, false);
  });

  it("knows each partition's owners from heartbeats, and forgets a disconnected TaskManager's", () => {
    const r = new TaskManagerRegistry();
    r.register(reg('TM-01'));
    r.register(reg('TM-02'));
    r.heartbeat('TM-01', report([1, 0]));
    r.heartbeat('TM-02', report([2]));
    assert.deepEqual([...r.owners()].sort(), [
      [0, ['TM-01']],
      [1, ['TM-01']],
      [2, ['TM-02']],
    ]);
    assert.deepEqual(r.get('TM-01')?.tasks, [0, 1]);
    r.disconnected('TM-01');
    assert.deepEqual([...r.owners()], [[2, ['TM-02']]]);
  });

  it('keeps a timeline of the ownership changes TaskManagers report', () => {
    let now = 100;
    const r = new TaskManagerRegistry(() => now);
    r.register(reg('TM-01'));
    r.ownership('TM-01', 200, 'assigned', [3]);
    r.ownership('TM-01', 300, 'revoked', [3]);
    r.resumedAt('TM-01', 400, 3);
    assert.deepEqual(
      r.timeline().map((c) => [c.at, c.kind, c.tasks]),
      [
        [200, 'assigned', [3]],
        [300, 'revoked', [3]],
      ],
    );
    assert.equal(r.timeline(250).length, 1);
    now = 0;
  });

  it("sums each task's counts over every process that owned it, restarted ones included", () => {
    const totals = (entries: [number, number][]) =>
      entries.map(([task, consumed]) => ({ task, consumed, emitted: consumed * 2, deadLettered: 0 }));
    const r = new TaskManagerRegistry();
    r.register(reg('TM-01'));
    r.register(reg('TM-02'));
    // TM-01 had task 1 before and handed it over: its counts for it stay in its own totals.
    r.heartbeat('TM-01', {
      ...report([0]),
      taskTotals: totals([
        [0, 10],
        [1, 7],
      ]),
    });
    r.heartbeat('TM-02', { ...report([1]), taskTotals: totals([[1, 5]]) });
    assert.deepEqual(r.taskTotals().get(1), { consumed: 12, emitted: 24, deadLettered: 0 });
    assert.deepEqual(r.taskTotals().get(0), { consumed: 10, emitted: 20, deadLettered: 0 });
    // TM-02 dies and is started again (same id, new pid): what the first process did is kept.
    r.exited('TM-02', 1, false);
    r.register(reg('TM-02', 2));
    r.heartbeat('TM-02', { ...report([1]), taskTotals: totals([[1, 3]]) });
    assert.equal(r.taskTotals().get(1)?.consumed, 15);
  });
});
