// Produce to and consume from the real broker with a real consumer group, for both group protocols.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import {
  connectConsumer,
  disconnectConsumer,
  type GroupProtocol,
} from '../../src/connectors/kafka/consumer.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import type { KafkaConsumer, Message } from '../../src/connectors/kafka/rdkafka.js';
import { SluiceError } from '../../src/errors/sluice-error.js';
import { eventually, testEnv, uniqueName } from '../helpers/test-env.js';

const RECORDS = 10_000;
const PARTITIONS = 4;

function consumeBatch(consumer: KafkaConsumer, max: number): Promise<Message[]> {
  return new Promise((resolve, reject) =>
    consumer.consume(max, (err, messages) => (err ? reject(err) : resolve(messages))),
  );
}

describe('Kafka round trip against the real broker', { timeout: 120_000 }, () => {
  let admin: KafkaAdmin;
  const topics: string[] = [];

  before(() => {
    admin = KafkaAdmin.create({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'test-admin',
    });
  });
  after(async () => {
    for (const topic of topics) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  });

  for (const protocol of ['consumer', 'classic'] as GroupProtocol[]) {
    it(`produces ${RECORDS} records to a new ${PARTITIONS}-partition topic and consumes them all (${protocol} protocol)`, async () => {
      const topic = uniqueName('roundtrip');
      topics.push(topic);
      assert.equal(await admin.ensureTopic(topic, PARTITIONS), 'created');

      const producer = await KafkaProducer.connect({
        security: PLAINTEXT,
        bootstrapServers: testEnv.kafkaBootstrap,
        clientId: 'test-producer',
      });
      const sentPerPartition = new Array<number>(PARTITIONS).fill(0);
      try {
        for (let id = 0; id < RECORDS; id++) {
          const partition = id % PARTITIONS;
          sentPerPartition[partition] = (sentPerPartition[partition] ?? 0) + 1;
          await producer.send(topic, partition, Buffer.from(JSON.stringify({ id })), String(id));
        }
        await producer.flush();
        assert.equal(producer.delivered, RECORDS);
      } finally {
        await producer.close();
      }

      const groupId = uniqueName('roundtrip-group');
      const consumer = await connectConsumer({
        security: PLAINTEXT,
        bootstrapServers: testEnv.kafkaBootstrap,
        clientId: 'test-consumer',
        groupId,
        groupProtocol: protocol,
      });
      try {
        consumer.subscribe([topic]);
        const perPartition = new Array<number>(PARTITIONS).fill(0);
        const ids = new Set<number>();
        await eventually(
          `${RECORDS} records consumed`,
          async () => {
            for (const m of await consumeBatch(consumer, 1000)) {
              perPartition[m.partition] = (perPartition[m.partition] ?? 0) + 1;
              ids.add((JSON.parse(String(m.value)) as { id: number }).id);
            }
            return ids.size >= RECORDS ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 0 },
        );
        assert.equal(ids.size, RECORDS);
        assert.deepEqual(perPartition, sentPerPartition);
        assert.deepEqual(perPartition, [2500, 2500, 2500, 2500]);

        // The broker's view of the group: our consumer is a member holding all four partitions.
        const group = await eventually('the group to list our member with its partitions', async () => {
          const g = await admin.describeGroup(groupId);
          return g.members.length === 1 && g.members[0]?.partitions.length === PARTITIONS ? g : undefined;
        });
        assert.equal(group.type, protocol === 'consumer' ? 'CONSUMER' : 'CLASSIC');
        assert.equal(group.state, 'STABLE');
        assert.equal(group.members[0]?.clientId, 'test-consumer');
        assert.deepEqual(
          group.members[0]?.partitions,
          Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })),
        );

        // Auto-commit is off: consuming moved no committed offset.
        const committed = await admin.committedOffsets(groupId, topic, PARTITIONS);
        for (const [partition, offset] of committed)
          assert.ok(offset < 0, `partition ${partition} committed ${offset}`);
      } finally {
        await disconnectConsumer(consumer);
      }
    });
  }

  it('refuses an existing topic with another partition count, naming both counts', async () => {
    const topic = uniqueName('mismatch');
    topics.push(topic);
    await admin.createTopic(topic, 2);
    await assert.rejects(admin.ensureTopic(topic, 4), (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'KAFKA_TOPIC_PARTITION_MISMATCH');
      assert.match(error.message, /already exists with 2 partitions, but the job needs 4/);
      return true;
    });
  });
});
