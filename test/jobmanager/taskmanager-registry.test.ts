import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskManagerRegistry } from '../../src/jobmanager/taskmanager-registry.js';

const reg = (id: string, pid = 1) => ({ taskManagerId: id, pid, host: 'h', clientId: `sluice-${id}` });
const report = (partitions: number[]) => ({
  status: partitions.length ? ('ACTIVE' as const) : ('IDLE' as const),
  partitions: partitions.map((p) => ({ partition: p, position: 0, consumed: 0, state: 'RUNNING' })),
  consumed: 0,
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
    assert.deepEqual(r.get('TM-01')?.partitions, [3]);
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
    assert.deepEqual(r.get('TM-01')?.partitions, [0, 1]);
    r.disconnected('TM-01');
    assert.deepEqual([...r.owners()], [[2, ['TM-02']]]);
  });

  it('keeps a timeline of ownership changes from events', () => {
    let now = 100;
    const r = new TaskManagerRegistry(() => now);
    r.register(reg('TM-01'));
    r.event('TM-01', 200, { type: 'taskmanager.partitions_assigned', partitions: [3] });
    r.event('TM-01', 300, { type: 'taskmanager.partitions_revoked', partitions: [3], offsets: [9] });
    r.event('TM-01', 400, { type: 'taskmanager.progress', partition: 3 });
    assert.deepEqual(
      r.timeline().map((c) => [c.at, c.kind, c.partitions]),
      [
        [200, 'assigned', [3]],
        [300, 'revoked', [3]],
      ],
    );
    assert.equal(r.timeline(250).length, 1);
    now = 0;
  });
});
