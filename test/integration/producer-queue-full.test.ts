// A producer whose records the broker does not take (here: a topic that does not exist, with topic
// creation off) fills its local queue; a send then fails after a bounded wait, naming the broker
// and the topic, instead of waiting for ever — a command that writes input ends with a message.
// And a producer that sends as fast as it can never runs further ahead of its delivery reports than
// its limit: the binding hands reports to JS a batch per event-loop turn, and a writer that outran
// them for an hour once ended with 27.9 M still unreported and failed its flush.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { isSluiceError } from '../../src/errors/sluice-error.js';
import { testEnv, uniqueName } from '../helpers/test-env.js';

describe('a producer the broker takes nothing from', { timeout: 60_000 }, () => {
  it('fails a send once its local queue stayed full past the limit', async () => {
    const producer = await KafkaProducer.connect({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: uniqueName('queue-full'),
      extra: { 'queue.buffering.max.messages': 5 },
      queueFullLimitMs: 500,
    });
    const topic = uniqueName('no-such-topic');
    const started = Date.now();
    try {
      await assert.rejects(
        (async () => {
          for (let i = 0; i < 100; i++) await producer.send(topic, 0, Buffer.from(String(i)), String(i));
        })(),
        (error: unknown) => {
          assert.ok(isSluiceError(error) && error.code === 'KAFKA_PRODUCE_FAILED', String(error));
          assert.match(error.message, /local queue stayed full for 1 s/);
          assert.ok(error.message.includes(topic) && error.message.includes(testEnv.kafkaBootstrap));
          return true;
        },
      );
      assert.ok(Date.now() - started < 20_000, `failed after ${Date.now() - started} ms`);
    } finally {
      await producer.close();
    }
  });
});

describe('a producer that sends faster than its delivery reports come back', { timeout: 120_000 }, () => {
  it('waits for them past its limit and has every one after flush', async () => {
    const admin = KafkaAdmin.create({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'test-admin',
    });
    const topic = uniqueName('unreported');
    await admin.ensureTopic(topic, 2);
    const limit = 5_000;
    const records = 200_000;
    const producer = await KafkaProducer.connect({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: uniqueName('unreported'),
      unreportedLimit: limit,
    });
    try {
      const value = Buffer.from('{"id":0,"payload":"x"}');
      let mostUnreported = 0;
      // A sender that gives the loop a turn only every 20,000 records outruns the reports (the
      // binding hands over at most 10,000 per turn: patches/…-delivery-reports-per-turn.patch).
      for (let i = 0; i < records; i++) {
        await producer.send(topic, i % 2, value, String(i));
        mostUnreported = Math.max(mostUnreported, producer.unreported);
        if (i % 20_000 === 19_999) await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(
        mostUnreported <= limit,
        `${mostUnreported} records were without a report at once (limit ${limit})`,
      );
      await producer.flush(30_000);
      assert.equal(producer.delivered, records);
      assert.equal(producer.unreported, 0);
      // The broker's own count agrees with the reports.
      const ends = await admin.endOffsets(topic, 2);
      assert.equal((ends.get(0) ?? 0) + (ends.get(1) ?? 0), records);
    } finally {
      await producer.close();
      await admin.deleteTopic(topic).catch(() => {});
      admin.close();
    }
  });
});
