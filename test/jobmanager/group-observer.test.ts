import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  GroupDescriber,
  GroupMemberView,
  GroupView,
} from '../../src/connectors/kafka/group-describer.js';
import { GroupObserver, type MemberSettled } from '../../src/jobmanager/group-observer.js';
import { eventually } from '../helpers/test-env.js';

const member = (clientId: string, partitions: number[], target = partitions): GroupMemberView => ({
  memberId: `m-${clientId}`,
  clientId,
  host: '/127.0.0.1',
  partitions: partitions.map((partition) => ({ topic: 't', partition })),
  targetPartitions: target.map((partition) => ({ topic: 't', partition })),
});

/** A describer that answers the views given, then repeats the last one; counts the describes. */
function scriptedDescriber(views: GroupMemberView[][]): { describer: GroupDescriber; calls: () => number } {
  let calls = 0;
  const fake = {
    describe: async (groupId: string): Promise<GroupView> => {
      const members = views[Math.min(calls, views.length - 1)] ?? [];
      calls++;
      return { groupId, state: 'STABLE', type: 'CONSUMER', members };
    },
  };
  return { describer: fake as unknown as GroupDescriber, calls: () => calls };
}

async function observe(
  views: GroupMemberView[][],
  describes: number,
  awaitsNotice?: (clientId: string) => boolean,
): Promise<MemberSettled[]> {
  const { describer, calls } = scriptedDescriber(views);
  const settled: MemberSettled[] = [];
  const observer = new GroupObserver({
    describer,
    groupId: 'g',
    slotOf: (_topic, partition) => partition,
    intervalMs: 1,
    onSettled: (m) => settled.push(m),
    ...(awaitsNotice ? { awaitsNotice } : {}),
  });
  observer.start();
  await eventually(`${describes} describes`, () => (calls() >= describes ? true : undefined));
  await observer.stop();
  return settled;
}

describe('GroupObserver', () => {
  it('reports a member once its assignment is settled in two describes in a row, and once only', async () => {
    const settled = await observe(
      [[member('a', [], [0])], [member('a', [0])], [member('a', [0])], [member('a', [0])]],
      8,
    );
    assert.deepEqual(settled, [{ clientId: 'a', tasks: [0] }]);
  });

  it('tells a member again at every describe while it has not acted on the notice', async () => {
    let acted = false;
    const settled = await observe([[member('idle', [])]], 6, () => !acted);
    assert.ok(settled.length >= 4, `told ${settled.length} times`);
    assert.ok(settled.every((m) => m.clientId === 'idle' && m.tasks.length === 0));
    acted = true;
    const afterwards = await observe([[member('idle', [])]], 6, () => !acted);
    assert.equal(afterwards.length, 1, 'told once when it has acted');
  });
});
