// A member that keeps partitions its target assignment no longer has (its client never revoked
// them) is named once, after the bound; revoking in time, or a classic member, is not.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GroupView } from '../../src/connectors/kafka/group-describer.js';
import { RevocationWatch, type UnrevokedPartitions } from '../../src/jobmanager/revocation-watch.js';

const tp = (...partitions: number[]) => partitions.map((partition) => ({ topic: 't', partition }));

function view(members: { clientId: string; has: number[]; target?: number[] }[]): GroupView {
  return {
    groupId: 'g',
    state: 'RECONCILING',
    type: 'CONSUMER',
    members: members.map((m) => ({
      memberId: `${m.clientId}-id`,
      clientId: m.clientId,
      host: '/127.0.0.1',
      partitions: tp(...m.has),
      targetPartitions: m.target === undefined ? undefined : tp(...m.target),
    })),
  };
}

function watch() {
  let now = 0;
  const reported: UnrevokedPartitions[] = [];
  const w = new RevocationWatch({
    afterMs: 20_000,
    slotOf: (topic, partition) => (topic === 't' ? partition : undefined),
    onUnrevoked: (stuck) => reported.push(stuck),
    now: () => now,
  });
  return {
    at: (ms: number, v: GroupView) => {
      now = ms;
      w.observe(v);
    },
    reported,
  };
}

describe('RevocationWatch', () => {
  it('names a member that holds moved partitions past the bound, once', () => {
    const { at, reported } = watch();
    const stuck = view([
      { clientId: 'TM-04', has: [0, 1, 2, 3], target: [0] },
      { clientId: 'TM-01', has: [], target: [1] },
    ]);
    at(0, stuck);
    at(19_000, stuck);
    assert.deepEqual(reported, [], 'reported before the bound');
    at(21_000, stuck);
    at(30_000, stuck);
    assert.deepEqual(reported, [{ clientId: 'TM-04', tasks: [1, 2, 3], since: 0 }]);
  });

  it('says nothing of a member that revokes within the bound', () => {
    const { at, reported } = watch();
    at(0, view([{ clientId: 'TM-04', has: [0, 1], target: [0] }]));
    at(1_000, view([{ clientId: 'TM-04', has: [0], target: [0] }]));
    at(25_000, view([{ clientId: 'TM-04', has: [0], target: [0] }]));
    assert.deepEqual(reported, []);
  });

  it('starts the clock again when what it holds changes (a new target moved other partitions)', () => {
    const { at, reported } = watch();
    at(0, view([{ clientId: 'TM-04', has: [0, 1], target: [0] }]));
    at(15_000, view([{ clientId: 'TM-04', has: [0, 1, 2], target: [0] }]));
    at(30_000, view([{ clientId: 'TM-04', has: [0, 1, 2], target: [0] }]));
    assert.deepEqual(reported, [], 'the clock did not restart');
    at(36_000, view([{ clientId: 'TM-04', has: [0, 1, 2], target: [0] }]));
    assert.deepEqual(reported, [{ clientId: 'TM-04', tasks: [1, 2], since: 15_000 }]);
  });

  it('leaves classic members (no target assignment) alone', () => {
    const { at, reported } = watch();
    at(0, view([{ clientId: 'TM-04', has: [0, 1] }]));
    at(60_000, view([{ clientId: 'TM-04', has: [0, 1] }]));
    assert.deepEqual(reported, []);
  });
});
