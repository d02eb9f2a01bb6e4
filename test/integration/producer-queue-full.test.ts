// A producer whose records the broker does not take (here: a topic that does not exist, with topic
// creation off) fills its local queue; a send then fails after a bounded wait, naming the broker
// and the topic, instead of waiting for ever — a command that writes input ends with a message.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
