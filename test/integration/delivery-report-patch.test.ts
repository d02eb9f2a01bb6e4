// patches/confluent-kafka-javascript-delivery-reports-per-turn.patch: the client hands JavaScript
// up to 10,000 delivery reports per event-loop turn instead of 100. A producer that queues 500
// records per turn, with no bound of its own, must then see its reports keep pace: unpatched, they
// fell 400 further behind every turn (160,000 behind after 200,000 records).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

describe('the client patched to hand over more delivery reports per turn', { timeout: 120_000 }, () => {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-dr-patch',
  });
  const topic = uniqueName('dr-patch');
  after(async () => {
    await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  });

  it('is applied to the installed client (scripts/setup.sh)', () => {
    const client = path.join(projectRoot, 'node_modules', '@confluentinc', 'kafka-javascript');
    const patch = path.join(
      projectRoot,
      'patches',
      'confluent-kafka-javascript-delivery-reports-per-turn.patch',
    );
    // Applies in reverse only when it is in place.
    execFileSync('patch', ['-d', client, '--dry-run', '-R', '-p1', '-s', '-f', '-i', patch]);
  });

  it('keeps the reports up with a sender that queues 500 records per turn', async () => {
    await admin.ensureTopic(topic, 2);
    const records = 200_000;
    const producer = await KafkaProducer.connect({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: uniqueName('dr-patch'),
      unreportedLimit: Number.POSITIVE_INFINITY,
    });
    try {
      const value = Buffer.from('{"id":0,"payload":"x"}');
      // The new topic's leaders known first: records waiting for them would count as unreported.
      await producer.send(topic, 0, value, 'first');
      await producer.send(topic, 1, value, 'first');
      await producer.flush(30_000);
      let mostUnreported = 0;
      for (let i = 0; i < records; i++) {
        await producer.send(topic, i % 2, value, String(i));
        if (i % 500 === 499) {
          mostUnreported = Math.max(mostUnreported, producer.unreported);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      // librdkafka's own in-flight records (linger, batches on the wire) stay far below this.
      assert.ok(mostUnreported < 50_000, `${mostUnreported} records were without a report at once`);
      await producer.flush(30_000);
      assert.equal(producer.delivered, records + 2);
    } finally {
      await producer.close();
    }
  });
});
