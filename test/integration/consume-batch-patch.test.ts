// patches/confluent-kafka-javascript-consume-batch.patch: the client's batch consume hands
// JavaScript one flat array of values and makes the message objects there. The messages must be
// the very objects the unpatched client made: every field, in the same order, headers and
// leaderEpoch only when present. Records of every shape are written with the raw producer (so
// that their timestamps, null values and headers are ours) and compared with what the test
// expects of each, field by field.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { baseClientConfig, PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { connectConsumer, disconnectConsumer } from '../../src/connectors/kafka/consumer.js';
import { type Message, type MessageHeader, Producer } from '../../src/connectors/kafka/rdkafka.js';
import { eventually, projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

interface Written {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers?: MessageHeader[];
}

describe('the client patched to consume a batch as one array', { timeout: 120_000 }, () => {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-consume-patch',
  });
  const topic = uniqueName('consume-patch');
  const kafka = { bootstrapServers: testEnv.kafkaBootstrap, security: PLAINTEXT };
  after(async () => {
    await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  });

  it('is applied to the installed client (scripts/setup.sh)', () => {
    const client = path.join(projectRoot, 'node_modules', '@confluentinc', 'kafka-javascript');
    const patch = path.join(projectRoot, 'patches', 'confluent-kafka-javascript-consume-batch.patch');
    // Applies in reverse only when it is in place.
    execFileSync('patch', ['-d', client, '--dry-run', '-R', '-p1', '-s', '-f', '-i', patch]);
  });

  it('gives every field of every record, in the unpatched order', async () => {
    await admin.createTopic(topic, 2);
    const base = 1_700_000_000_000;
    const written: Written[] = [
      {
        partition: 0,
        key: Buffer.from('k-1'),
        value: Buffer.from('{"a":1}'),
        timestamp: base + 1,
        headers: [{ h1: Buffer.from('x') }, { h2: Buffer.from([0, 1, 2]) }],
      },
      { partition: 0, key: null, value: Buffer.from('no key'), timestamp: base + 2 },
      { partition: 1, key: Buffer.from('tombstone'), value: null, timestamp: base + 3 },
      { partition: 1, key: Buffer.from('é ü'), value: Buffer.from('ünïcode'), timestamp: base + 4 },
    ];
    // A longer run on both partitions: batches of several messages and topic runs.
    for (let i = 0; i < 600; i++)
      written.push({
        partition: i % 2,
        key: Buffer.from(`key-${i}`),
        value: Buffer.from(`value-${i}`),
        timestamp: base + 10 + i,
      });
    const producer = new Producer(baseClientConfig({ ...kafka, clientId: 'consume-patch-in' }));
    await new Promise<void>((resolve, reject) =>
      producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
    );
    for (const w of written)
      producer.produce(topic, w.partition, w.value, w.key, w.timestamp, undefined, w.headers);
    await new Promise<void>((resolve, reject) =>
      producer.flush(30_000, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));

    // What the unpatched client made of each: offsets count up per partition from 0.
    const next = new Map<number, number>();
    const expected = written.map((w) => {
      const offset = next.get(w.partition) ?? 0;
      next.set(w.partition, offset + 1);
      return {
        value: w.value,
        ...(w.headers ? { headers: w.headers } : {}),
        size: w.value?.length ?? 0,
        key: w.key,
        topic,
        offset,
        partition: w.partition,
        timestamp: w.timestamp,
      };
    });

    const consumer = await connectConsumer({
      ...kafka,
      clientId: 'consume-patch-out',
      groupId: `${topic}-group`,
      groupProtocol: 'consumer',
    });
    const read: Message[] = [];
    try {
      consumer.assign([
        { topic, partition: 0, offset: 0 },
        { topic, partition: 1, offset: 0 },
      ]);
      await eventually(
        `all ${written.length} records consumed`,
        async () => {
          read.push(
            ...(await new Promise<Message[]>((resolve, reject) =>
              consumer.consume(1000, (err, messages) => (err ? reject(err) : resolve(messages))),
            )),
          );
          return read.length >= written.length ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 10 },
      );
    } finally {
      await disconnectConsumer(consumer);
    }
    assert.equal(read.length, written.length);
    const byPlace = (m: { partition: number; offset: number }) => m.partition * 1_000_000 + m.offset;
    read.sort((a, b) => byPlace(a) - byPlace(b));
    expected.sort((a, b) => byPlace(a) - byPlace(b));
    for (let i = 0; i < read.length; i++) {
      const m = read[i] as Message & { leaderEpoch?: number };
      const e = expected[i];
      // The broker knows its leader epoch: every message carries it, last.
      assert.equal(typeof m.leaderEpoch, 'number', `leaderEpoch of ${JSON.stringify(e)}`);
      const { leaderEpoch: _, ...fields } = m;
      assert.deepEqual(fields, e);
      assert.deepEqual(
        Object.keys(m),
        [...Object.keys(e ?? {}), 'leaderEpoch'],
        'the fields in the unpatched order',
      );
    }
  });
});
