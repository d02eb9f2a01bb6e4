// State through its changelog and back, on the real broker: the changes a task's store hands to
// its Kafka transaction, committed, are read back by the restore reader (read_committed) into an
// empty store that then holds exactly the same entries — keys with NUL and \x01 separators
// included (librdkafka cuts a string key at its first NUL: seen losing every state key but one),
// tombstones applied, and nothing of an aborted transaction; and the store records how far the
// changelog holds its commits — counted from the records each carried, checked against the broker's
// own end of the partition — so a restore on the same host reads only what came after.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { ChangelogReader } from '../../src/connectors/kafka/changelog-reader.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { connectConsumer, disconnectConsumer } from '../../src/connectors/kafka/consumer.js';
import { KafkaSinkConnector } from '../../src/connectors/kafka/kafka-sink-connector.js';
import { clockKey, stateKey, timerKey } from '../../src/runtime/state/state-keys.js';
import { TransactionalStore } from '../../src/runtime/state/transactional-store.js';
import { eventually, testEnv, uniqueName } from '../helpers/test-env.js';

describe('state changelog round trip', { timeout: 120_000 }, () => {
  const kafka = { security: PLAINTEXT, bootstrapServers: testEnv.kafkaBootstrap };
  const admin = KafkaAdmin.create({ ...kafka, clientId: 'test-changelog' });
  const dirs: string[] = [];
  const topics: string[] = [];
  after(async () => {
    for (const topic of topics) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('restores exactly the committed entries, keys with separators intact, aborted writes absent', async () => {
    const name = uniqueName('chl');
    const changelog = `${name}-changelog`;
    topics.push(changelog);
    await admin.createTopic(changelog, 1, { 'cleanup.policy': 'compact' });
    const groupId = `${name}-group`;
    const consumer = await connectConsumer({
      ...kafka,
      clientId: `${name}-c`,
      groupId,
      groupProtocol: 'consumer',
    });
    const connector = new KafkaSinkConnector(new Map(), {
      kafka,
      groupId,
      runId: 'r1',
      taskManagerId: 'TM-T',
      consumer: () => consumer,
    });
    const task = { id: `${name}-in-0`, topic: `${name}-in`, partition: 0 };
    const dir = (label: string) => {
      const d = mkdtempSync(path.join(os.tmpdir(), `sluice-${label}-`));
      dirs.push(d);
      return d;
    };
    const source = TransactionalStore.open(dir('source'));
    const restored = TransactionalStore.open(dir('restored'));
    const reader = await ChangelogReader.connect({ ...kafka, clientId: `${name}-r` });
    /**
     * The broker's own view: the partition's end as a read_committed reader sees it, once it has
     * reached `atLeast` — a commit returns before the coordinator has written its markers.
     */
    const endOfChangelog = (atLeast: number) =>
      eventually(`the changelog's end to reach ${atLeast}`, async () => {
        const end = await new Promise<number>((resolve, reject) =>
          consumer.queryWatermarkOffsets(changelog, 0, 5000, (err, offsets) =>
            err ? reject(err) : resolve(offsets.highOffset),
          ),
        );
        return end >= atLeast ? end : undefined;
      });
    try {
      await connector.restore(task, { epoch: 1, position: -1, checkpointId: -1 });
      // What a restore of the empty changelog records: read to offset 0.
      await source.restore([], changelog, 0);
      const toRecords = (changes: ReturnType<TransactionalStore['takeChanges']>) =>
        changes.map(([key, value]) => ({
          topic: changelog,
          partition: 0,
          key,
          value: value === null ? null : Buffer.from(value),
        }));
      // Checkpoint 1: three users' counts, their timers and the clock.
      for (const user of ['a', 'b', 'c']) {
        source.put(stateKey('count', 'n', user), { n: user.charCodeAt(0) });
        source.put(timerKey('count', 'e', 1_000_999, user), 1);
      }
      source.put(clockKey('count'), { w: 1_000_500 });
      const first = source.takeChanges();
      assert.equal(await connector.stage(task, 1, toRecords(first)), 'done');
      assert.equal(await connector.commit(task, 1), 'done');
      await source.committed(new Map([[changelog, first.length]]));
      const afterFirst = source.offset(changelog);
      // Nothing else wrote the partition: the count is its end exactly (the records and the marker).
      assert.equal(
        afterFirst,
        await endOfChangelog(afterFirst ?? 1),
        'the recorded offset is the changelog end',
      );
      // Checkpoint 2 is aborted: none of it may come back.
      source.put(stateKey('count', 'n', 'zombie'), { n: -1 });
      assert.equal(await connector.stage(task, 1, toRecords(source.takeChanges())), 'done');
      await connector.release(task, false);
      source.abort();
      await connector.restore(task, { epoch: 2, position: -1, checkpointId: -1 });
      // Checkpoint 3: b's timer fired (a tombstone), c deleted.
      source.delete(timerKey('count', 'e', 1_000_999, 'b'));
      source.delete(stateKey('count', 'n', 'c'));
      const third = source.takeChanges();
      assert.equal(await connector.stage(task, 2, toRecords(third)), 'done');
      assert.equal(await connector.commit(task, 2), 'done');
      await source.committed(new Map([[changelog, third.length]]));
      // The aborted transaction's record and marker lie in between, uncounted: the recorded offset
      // is a lower bound of the end, and a restore on this host reads from there — at most the
      // last transaction's 2 records again, never one of its committed records missed.
      const recorded = source.offset(changelog) ?? 0;
      const end = await endOfChangelog(recorded);
      assert.ok(recorded > (afterFirst ?? 0) && recorded <= end, `recorded ${recorded}, end ${end}`);
      const again = await reader.read(changelog, 0, recorded, async () => {});
      assert.ok(again.records <= 2, `a restore from the recorded offset read ${again.records} records`);

      const read = await reader.read(changelog, 0, 0, async (batch, next) => {
        await restored.restore(
          batch.map((r) => [r.key, r.value] as const),
          changelog,
          next,
        );
      });
      assert.ok(read.records >= 8, `read ${read.records} changelog records`);
      assert.deepEqual([...restored.scan('')], [...source.scan('')]);
      assert.equal(
        restored.get(stateKey('count', 'n', 'zombie')),
        undefined,
        'nothing of the aborted transaction',
      );
      assert.deepEqual(restored.get(stateKey('count', 'n', 'a')), { n: 97 });
      assert.equal(restored.entries, 5, 'the counts of a and b, the timers of a and c, the clock');

      // Restores take turns on the reader; one whose task was let go while it waited does not
      // wait for the one in front (its partition is someone else's by then).
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let firstBatch: () => void = () => {};
      const inFront = new Promise<void>((resolve) => {
        firstBatch = resolve;
      });
      const slow = reader.read(changelog, 0, 0, async () => {
        firstBatch();
        await held;
      });
      await inFront;
      let letGo = false;
      const waiting = reader.read(changelog, 0, 0, async () => {}, { stop: () => letGo });
      letGo = true;
      const stopped = await waiting;
      assert.deepEqual(
        stopped,
        { next: 0, records: 0, stopped: true },
        'answered while the first still reads',
      );
      release();
      assert.ok((await slow).records >= 8);
      const after = await reader.read(changelog, 0, 0, async () => {});
      assert.ok(after.records >= 8, 'the reader is still usable after a stopped restore');
    } finally {
      await connector.close();
      await reader.close();
      await disconnectConsumer(consumer);
      await source.close();
      await restored.close();
    }
  });
});
