import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OwnershipWatch } from '../../src/jobmanager/ownership-watch.js';

const tm = (id: string, tasks: number[]) => ({ id, clientId: `sluice-${id}`, tasks });
const member = (id: string, tasks: number[]) => ({ clientId: `sluice-${id}`, tasks });

describe('OwnershipWatch', () => {
  it('reports a TaskManager claiming tasks the broker gives to another member, once the grace is over', () => {
    const watch = new OwnershipWatch(10_000);
    const members = [member('TM-01', [0, 1]), member('TM-02', [2, 3])];
    const claims = [tm('TM-01', [0, 1]), tm('TM-02', [2, 3]), tm('TM-03', [1, 2])];
    assert.deepEqual(watch.check(members, claims, 1000), []);
    assert.deepEqual(watch.check(members, claims, 10_999), []);
    assert.deepEqual(watch.check(members, claims, 11_000), [
      { taskManagerId: 'TM-03', tasks: [1, 2], owners: ['sluice-TM-01', 'sluice-TM-02'], forMs: 10_000 },
    ]);
    // Told once per grace while it lasts.
    assert.deepEqual(watch.check(members, claims, 12_000), []);
    assert.equal(watch.check(members, claims, 21_000).length, 1);
  });

  it('forgets a conflict that ended (a handover that finished), and starts the grace again', () => {
    const watch = new OwnershipWatch(10_000);
    const members = [member('TM-02', [0])];
    assert.deepEqual(watch.check(members, [tm('TM-01', [0])], 0), []);
    // TM-01 released task 0: the next claim is a new conflict with a fresh grace.
    assert.deepEqual(watch.check(members, [tm('TM-01', [])], 9000), []);
    assert.deepEqual(watch.check(members, [tm('TM-01', [0])], 12_000), []);
    assert.equal(watch.check(members, [tm('TM-01', [0])], 22_000).length, 1);
  });

  it('leaves alone tasks the broker gives to nobody, or to the claimant itself', () => {
    const watch = new OwnershipWatch(1);
    // A member that is gone from the group (session expired, no new owner yet) and one that agrees.
    const members = [member('TM-02', [3])];
    assert.deepEqual(watch.check(members, [tm('TM-01', [0, 1]), tm('TM-02', [3])], 0), []);
    assert.deepEqual(watch.check(members, [tm('TM-01', [0, 1]), tm('TM-02', [3])], 60_000), []);
  });
});
