// Checkpoint invariants against real TaskManagers, Kafka and Redis: the group's committed offsets
// only ever equal a completed checkpoint's positions, positions never go backwards, and a
// checkpoint a task declines is aborted with its reason.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { positionsOf } from '../../src/checkpoint/completed-checkpoint.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { resetCounter } from '../../src/connectors/redis/redis-sink.js';
import { TaskManagerLauncher } from '../../src/jobmanager/taskmanager-launcher.js';
import { kafkaModeMessage } from '../../src/runs/sample-messages.js';
import { startTestCluster, type TestCluster, testJobSpec } from '../helpers/cluster.js';
import { eventually, testEnv } from '../helpers/test-env.js';

describe('checkpoint invariants', { timeout: 180_000 }, () => {
  const job = testJobSpec({ partitions: 4 });
  const { spec } = job;
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-checkpoints',
  });
  let redis: Redis;
  let store: CheckpointStore;
  let t: TestCluster;
  let producer: KafkaProducer;
  let nextId = 1;

  async function produce(count: number): Promise<void> {
    for (let i = 0; i < count; i++, nextId++) {
      await producer.send(job.topic, nextId % 4, Buffer.from(kafkaModeMessage(nextId)));
    }
    await producer.flush();
  }

  before(async () => {
    redis = createRedis({ url: testEnv.redisUrl });
    await redis.connect();
    await admin.ensureTopic(job.topic, 4);
    const ends = await admin.endOffsets(job.topic, 4);
    await resetCounter(
      redis,
      job.counterKey,
      [...ends].map(([partition, offset]) => ({ topic: job.topic, partition, offset })),
    );
    store = new CheckpointStore(redis, job.groupId);
    producer = await KafkaProducer.connect({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'test-cp-producer',
    });
    t = await startTestCluster(spec, { checkpointing: { intervalMs: 300, timeoutMs: 3000, store } });
    const ids = TaskManagerLauncher.ids(5);
    t.cluster.launch(ids);
    await t.cluster.waitForRegistered(ids, 60_000);
    t.cluster.jobManager.startGroup();
    await t.cluster.waitForDistribution(60_000, 5);
  });

  after(async () => {
    await redis.call('CLIENT', 'UNPAUSE').catch(() => {});
    await t?.cluster.shutdown();
    await producer?.close();
    await store?.clear();
    await admin.deleteTopic(job.topic).catch(() => {});
    admin.close();
    redis?.disconnect();
  });

  it('commits to Kafka exactly the positions of completed checkpoints, which never go backwards', async () => {
    for (let round = 0; round < 3; round++) {
      await produce(4000);
      const expected = await admin.endOffsets(job.topic, 4);
      // A checkpoint that covers everything written so far...
      const checkpoint = await eventually('a checkpoint at the topic end', async () => {
        const latest = await store.latest();
        return latest && [...expected].every(([p, o]) => positionsOf(latest).get(p) === o)
          ? latest
          : undefined;
      });
      // ...and the group's committed offsets (Admin API) become exactly its positions.
      await eventually('committed offsets to equal the checkpoint', async () => {
        const committed = await admin.committedOffsets(job.groupId, job.topic, 4);
        return [...positionsOf(checkpoint)].every(([p, o]) => committed.get(p) === o) ? true : undefined;
      });
    }
    const history = (await store.all()).reverse();
    assert.ok(history.length >= 3);
    for (let i = 1; i < history.length; i++) {
      const before = history[i - 1];
      const now = history[i];
      assert.ok(before && now && now.id > before.id);
      for (const task of now?.tasks ?? []) {
        const earlier = before?.tasks.find((x) => x.partition === task.partition);
        assert.ok(
          task.position >= (earlier?.position ?? 0),
          `partition ${task.partition} went backwards at checkpoint ${now?.id}`,
        );
      }
    }
    assert.equal(Number(await redis.get(job.counterKey)), 12_000);
  });

  it('aborts a checkpoint that a restoring task declines, with the reason, then completes the next one', async () => {
    const coordinator = t.cluster.jobManager.checkpoints;
    assert.ok(coordinator);
    const declinedBefore = coordinator.stats.aborted.TASK_DECLINED ?? 0;
    // Hold every Redis write: the partition's next owner cannot claim it and stays RESTORING.
    await redis.call('CLIENT', 'PAUSE', '6000', 'WRITE');
    const victim = t.cluster.registry.connected().find((tm) => tm.status === 'ACTIVE');
    assert.ok(victim);
    await t.cluster.stopTaskManager(victim.id);
    await eventually(
      'a checkpoint declined by the restoring task',
      () => ((coordinator.stats.aborted.TASK_DECLINED ?? 0) > declinedBefore ? true : undefined),
      { timeoutMs: 20_000 },
    );
    const declined = t.events.find((e) => e.type === 'checkpoint.aborted' && e.reason === 'TASK_DECLINED');
    assert.ok(declined && declined.type === 'checkpoint.aborted');
    assert.match(declined.detail, /cannot take part: \d+ \(RESTORING\)/);
    await redis.call('CLIENT', 'UNPAUSE');
    const completedBefore = coordinator.stats.completed;
    await eventually(
      'the next checkpoint to complete',
      () => (coordinator.stats.completed > completedBefore ? true : undefined),
      {
        timeoutMs: 20_000,
      },
    );
  });
});
