// Which group members the JobManager removes for a TaskManager that is gone: the ones with its
// client id in the last description (a fresh one only when that lists none), none of other
// TaskManagers, nothing when it is no member, and a refusal reported, never thrown.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GroupMemberView } from '../../src/connectors/kafka/group-describer.js';
import type { GroupMemberRemover } from '../../src/connectors/kafka/group-member-removal.js';
import { DepartedMembers } from '../../src/jobmanager/departed-members.js';

const member = (memberId: string, clientId: string): GroupMemberView => ({
  memberId,
  clientId,
  host: '/127.0.0.1',
  partitions: [],
  targetPartitions: undefined,
});

function harness(last: GroupMemberView[] | undefined, fresh: GroupMemberView[], refuse?: string) {
  const removed: { groupId: string; ids: readonly string[]; reason: string }[] = [];
  const events: string[] = [];
  let describes = 0;
  const remover: GroupMemberRemover = {
    remove: async (groupId, ids, reason) => {
      if (refuse) throw new Error(refuse);
      removed.push({ groupId, ids, reason });
    },
    close: async () => {},
  };
  const departed = new DepartedMembers({
    groupId: 'g',
    remover,
    lastSeen: () => last,
    describe: async () => {
      describes++;
      return fresh;
    },
    onRemoved: (id, ids) => events.push(`removed ${id} ${ids.join(',')}`),
    onFailed: (id, reason) => events.push(`failed ${id}: ${reason}`),
  });
  return { departed, removed, events, describes: () => describes };
}

describe('departed members', () => {
  it('removes the members of the gone TaskManager listed last, and no other', async () => {
    const h = harness(
      [member('m-1', 'sluice-TM-01'), member('m-2', 'sluice-TM-02'), member('m-10', 'sluice-TM-010')],
      [],
    );
    h.departed.departed('TM-01', 'sluice-TM-01');
    await h.departed.settled();
    assert.deepEqual(
      h.removed.map((r) => [r.groupId, r.ids]),
      [['g', ['m-1']]],
    );
    assert.match(h.removed[0]?.reason ?? '', /TM-01's process ended/);
    assert.deepEqual(h.events, ['removed TM-01 m-1']);
    assert.equal(h.describes(), 0);
  });

  it('describes the group afresh when the last description lists none of it', async () => {
    const h = harness([member('m-2', 'sluice-TM-02')], [member('m-7', 'sluice-TM-01')]);
    h.departed.departed('TM-01', 'sluice-TM-01');
    await h.departed.settled();
    assert.deepEqual(
      h.removed.map((r) => r.ids),
      [['m-7']],
    );
    assert.equal(h.describes(), 1);
  });

  it('sends nothing for a TaskManager that is no member', async () => {
    const h = harness(undefined, [member('m-2', 'sluice-TM-02')]);
    h.departed.departed('TM-01', 'sluice-TM-01');
    await h.departed.settled();
    assert.deepEqual(h.removed, []);
    assert.deepEqual(h.events, []);
  });

  it('reports a refused removal (the session timeout then moves the partitions)', async () => {
    const h = harness([member('m-1', 'sluice-TM-01')], [], 'UNKNOWN_MEMBER_ID');
    h.departed.departed('TM-01', 'sluice-TM-01');
    await h.departed.settled();
    assert.deepEqual(h.events, ['failed TM-01: UNKNOWN_MEMBER_ID']);
  });
});
