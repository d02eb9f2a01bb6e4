// The seed's load distribution with real TaskManager processes in one consumer group, for both
// group protocols: 4 partitions over 5 TaskManagers is 4 ACTIVE with one partition each and 1 IDLE,
// as the broker itself reports; a stopped ACTIVE TaskManager's partition moves to the IDLE one and
// nobody else loses a partition; a newcomer takes nothing from anyone; a kill -9 of an ACTIVE one has
// the JobManager remove its member at once (the `consumer` group's session timeout is 45 s here, so
// only that removal can move its partition within the test's deadline).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Admin, ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import type { GroupProtocol } from '../../src/connectors/kafka/consumer.js';
import { TaskManagerLauncher } from '../../src/jobmanager/taskmanager-launcher.js';
import { records, startTestCluster, type TestCluster, testJobSpec } from '../helpers/cluster.js';
import { eventually, testEnv } from '../helpers/test-env.js';

for (const protocol of ['consumer', 'classic'] as GroupProtocol[]) {
  describe(`load distribution over 5 TaskManagers (${protocol} protocol)`, { timeout: 180_000 }, () => {
    let t: TestCluster | undefined;
    const admin = KafkaAdmin.create({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'test-distribution',
    });
    after(async () => {
      await t?.cluster.shutdown();
      if (t) await admin.deleteTopic(t.job.sources[0]?.topic ?? '').catch(() => {});
      admin.close();
    });

    it('puts 4 TaskManagers ACTIVE with one partition each and 1 IDLE, and the broker agrees', async () => {
      const spec = testJobSpec({ groupProtocol: protocol }).spec;
      if (protocol === 'consumer') await setGroupSessionTimeout(spec.groupId, LONG_SESSION_MS);
      t = await startTestCluster(spec);
      const { cluster, job } = t;
      const ids = TaskManagerLauncher.ids(5);
      cluster.launch(ids);
      await cluster.waitForRegistered(ids, 60_000);
      cluster.jobManager.startGroup();
      const snapshot = await cluster.waitForDistribution(60_000, 5);

      const active = snapshot.filter((tm) => tm.status === 'ACTIVE');
      const idle = snapshot.filter((tm) => tm.status === 'IDLE');
      assert.equal(active.length, 4);
      assert.equal(idle.length, 1);
      for (const tm of active) assert.equal(tm.tasks.length, 1, `${tm.id} owns ${tm.tasks.join(',')}`);
      assert.deepEqual(active.flatMap((tm) => tm.tasks).sort(), [0, 1, 2, 3]);

      // The broker's own description of the group (Admin API), not our logs.
      const group = await eventually('the broker to list 5 members with settled assignments', async () => {
        const g = await admin.describeGroup(job.groupId);
        const holding = g.members.filter((m) => m.partitions.length > 0);
        return g.members.length === 5 && holding.length === 4 ? g : undefined;
      });
      assert.equal(group.type, protocol === 'consumer' ? 'CONSUMER' : 'CLASSIC');
      for (const member of group.members) {
        const id = member.clientId.replace(/^sluice-/, '');
        const registered = cluster.registry.get(id);
        assert.ok(registered, `broker member ${member.clientId} is in our registry`);
        assert.deepEqual(
          member.partitions.map((p) => p.partition),
          [...registered.tasks],
          `${id}: broker and registry agree`,
        );
        assert.ok(member.partitions.length <= 1);
      }

      // The seed's lines, from the TaskManagers themselves.
      const msgs = records(t.lines).map((r) => String(r.msg));
      assert.ok(
        msgs.some((m) =>
          /^📊 TASK MANAGER LOAD DISTRIBUTION: TaskManager TM-\d\d \(PID: \d+\) assigned 1 partitions: \S+ \[\d\]$/.test(
            m,
          ),
        ),
      );
      assert.ok(
        msgs.some((m) =>
          /^💤 LOAD BALANCING: TaskManager TM-\d\d has no partitions assigned - Load Status: IDLE$/.test(m),
        ),
      );
      assert.ok(
        msgs.some((m) =>
          /^⚖️ LOAD BALANCING: TaskManager TM-\d\d is now actively consuming 1 partitions - Load Status: ACTIVE$/.test(
            m,
          ),
        ),
      );
    });

    it("moves a stopped ACTIVE TaskManager's partition to the IDLE one, revoking nothing else", async () => {
      assert.ok(t);
      const { cluster } = t;
      const before = cluster.registry.connected();
      const victim = before.find((tm) => tm.status === 'ACTIVE');
      const idle = before.find((tm) => tm.status === 'IDLE');
      assert.ok(victim && idle);
      const [moved] = victim.tasks;
      const since = Date.now();

      await cluster.stopTaskManager(victim.id);
      const after = await cluster.waitForDistribution(60_000, 4);

      const heir = after.find((tm) => tm.tasks.includes(moved as number));
      assert.equal(heir?.id, idle.id, `partition ${moved} went to the idle ${idle.id}`);
      const changes = cluster.registry.timeline(since);
      const takenAway = changes.filter((c) => c.kind !== 'assigned');
      assert.deepEqual(
        takenAway.map((c) => [c.taskManagerId, c.kind, c.tasks]),
        [[victim.id, 'revoked', [moved]]],
        'only the stopped TaskManager gave up a partition',
      );
      assert.equal(after.filter((tm) => tm.status === 'ACTIVE').length, 4);
    });

    it('adds a TaskManager to a fully assigned group without revoking anything', async () => {
      assert.ok(t);
      const { cluster } = t;
      const since = Date.now();
      cluster.launch(['TM-06']);
      await cluster.waitForRegistered(['TM-06'], 60_000);
      await eventually(
        'TM-06 to report IDLE',
        () => (cluster.registry.get('TM-06')?.status === 'IDLE' ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      const snapshot = await cluster.waitForDistribution(30_000, 5);
      assert.equal(cluster.registry.get('TM-06')?.tasks.length, 0);
      assert.equal(snapshot.filter((tm) => tm.status === 'ACTIVE').length, 4);
      assert.deepEqual(cluster.registry.timeline(since), [], 'no partition changed hands');
    });

    it("removes a killed TaskManager's member at once: the broker drops it, its partition moves", async (test) => {
      assert.ok(t);
      const { cluster, job } = t;
      const victim = cluster.registry.connected().find((tm) => tm.status === 'ACTIVE');
      const idle = cluster.registry.connected().find((tm) => tm.status === 'IDLE');
      assert.ok(victim && idle);
      const [moved] = victim.tasks;
      cluster.kill(victim.id, 'SIGKILL');

      const removed = await eventually(
        `the JobManager to remove ${victim.id}'s member`,
        () => t?.events.find((e) => e.type === 'jobmanager.member_removed' && e.taskManagerId === victim.id),
        { timeoutMs: 15_000 },
      );
      assert.ok(removed.type === 'jobmanager.member_removed' && removed.memberIds.length === 1);
      test.diagnostic(`${victim.id}'s member removed ${removed.ms} ms after its connection closed`);
      // The broker's own view: the member is gone and its partition is the formerly idle one's,
      // well before a 45 s session (consumer) could have expired.
      await eventually(
        `the broker to give partition ${moved} to ${idle.id} without ${victim.id}`,
        async () => {
          const g = await admin.describeGroup(job.groupId);
          const gone = !g.members.some((m) => m.clientId === victim.clientId);
          const heir = g.members.find((m) => m.partitions.some((p) => p.partition === moved));
          return gone && heir?.clientId === idle.clientId ? true : undefined;
        },
        { timeoutMs: protocol === 'consumer' ? LONG_SESSION_MS / 3 : 20_000 },
      );
      assert.ok(
        !t.events.some((e) => e.type === 'jobmanager.member_removal_failed'),
        'no removal was refused',
      );
    });
  });
}

/** The `consumer` group's own session timeout (KIP-848 group config), far above the broker's 3 s. */
const LONG_SESSION_MS = 45_000;

async function setGroupSessionTimeout(groupId: string, ms: number): Promise<void> {
  const pk = new Admin({ clientId: 'test-group-config', bootstrapBrokers: [testEnv.kafkaBootstrap] });
  try {
    await pk.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.GROUP,
          resourceName: groupId,
          configs: [
            {
              name: 'consumer.session.timeout.ms',
              value: String(ms),
              configOperation: IncrementalAlterConfigOperationTypes.SET,
            },
          ],
        },
      ],
    });
  } finally {
    await pk.close();
  }
}
