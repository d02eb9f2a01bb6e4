// Bad input loses nothing: 1,000 malformed records mixed into 10,000 good ones end with 10,000
// counted (each id once) and 1,000 in the dead-letter topic, each with its origin and reason. And
// hostile ones (issue 14): tombstones (a null value), null keys, bytes that are not UTF-8, binary
// headers, and a value larger than the TaskManagers' fetch size (5 MiB, above the broker's 1 MiB
// default): each dead-lettered whole — its bytes, its null, its key and headers as they were.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/load-config.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { connectConsumer, disconnectConsumer } from '../../src/connectors/kafka/consumer.js';
import { DLQ_HEADERS } from '../../src/connectors/kafka/dead-letter-queue.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import type { Message } from '../../src/connectors/kafka/rdkafka.js';
import { EventLog } from '../../src/logging/event-log.js';
import { createLogger } from '../../src/logging/logger.js';
import { runJob } from '../../src/runs/seed-run.js';
import { seedJobFile } from '../helpers/cluster.js';
import { eventually, projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

describe('dead-letter topic', { timeout: 180_000 }, () => {
  const name = uniqueName('dlq');
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-dlq',
  });
  after(async () => {
    await admin.deleteTopic(name).catch(() => {});
    await admin.deleteTopic(`${name}.dlq`).catch(() => {});
    admin.close();
  });

  it('sends 1,000 malformed and 36 hostile records there, whole, and counts the 10,000 good ones exactly', async () => {
    // The source takes records up to 8 MiB (its own setting; the broker's default is 1 MiB).
    await admin.createTopic(name, 4, { 'max.message.bytes': String(8 * 2 ** 20) });
    const huge = Buffer.alloc(5 * 2 ** 20, 'x');
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x7f]);
    /** [value, key, headers] of the hostile records, each refused by the seed job's JSON schema. */
    const hostile: [Buffer | null, string | null, { [name: string]: Buffer }[]][] = [
      ...Array.from({ length: 10 }, (_, i): [null, string, []] => [null, `tombstone-${i}`, []]),
      ...Array.from({ length: 10 }, (_, i): [Buffer, null, []] => [Buffer.from(`no key ${i}`), null, []]),
      ...Array.from({ length: 10 }, (_, i): [Buffer, string, []] => [
        Buffer.from([0xc3, 0x28, 0xff, i]),
        `not-utf8-${i}`,
        [],
      ]),
      ...Array.from({ length: 5 }, (_, i): [Buffer, string, { [name: string]: Buffer }[]] => [
        Buffer.from(`with headers ${i}`),
        `headers-${i}`,
        [{ trace: binary }, { 'x-bytes': Buffer.from([i, 0, 255]) }],
      ]),
      [huge, 'huge', []],
    ];
    const settings = {
      topic: name,
      consumerGroup: `${name}-group`,
      sinkCounterKey: `${name}:counter`,
      numMessages: '10000',
      useKafkaSource: 'true',
      ci: 'true',
      kafkaBootstrap: testEnv.kafkaBootstrap,
      redisUrl: testEnv.redisUrl,
      jobManagerPort: '0',
      produceRate: '5000',
    };
    const config = loadConfig(
      Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, { value: v, source: 'env' as const }])),
      { projectRoot },
    );
    const result = await runJob({
      jobFile: seedJobFile,
      config,
      events: new EventLog(createLogger({ format: 'json', level: 'silent' })),
      forwardLine: () => {},
      taskManagerCommand: [process.execPath, path.join(projectRoot, 'bin', 'sluice.js'), 'taskmanager'],
      runsDir: mkdtempSync(path.join(os.tmpdir(), 'sluice-dlq-')),
      duringRun: async (ctx) => {
        const producer = await KafkaProducer.connect({
          security: PLAINTEXT,
          bootstrapServers: testEnv.kafkaBootstrap,
          clientId: 'test-bad-input',
          extra: { 'message.max.bytes': 8 * 2 ** 20 },
        });
        try {
          for (let i = 0; i < 1000; i++) {
            const value =
              i < 500 ? `garbage-${i}` : i < 800 ? JSON.stringify({ id: `not-a-number-${i}` }) : '';
            await producer.send(name, i % 4, Buffer.from(value));
            if (i % 100 === 99) await sleep(50);
          }
          for (const [i, [value, key, headers]] of hostile.entries())
            await producer.send(name, i % 4, value, key, headers);
          await producer.flush();
        } finally {
          await producer.close();
        }
        await eventually(
          'the TaskManagers to report 1,036 dead letters',
          () =>
            ctx.cluster.registry.list().reduce((n, t) => n + t.deadLettered, 0) >= 1036 ? true : undefined,
          { timeoutMs: 60_000 },
        );
      },
    });
    assert.deepEqual(result.failures, []);
    assert.equal(result.counter, 10_000);
    assert.equal(result.ids?.ok, true);
    assert.equal(result.deadLettered, 1036);

    // Read the dead-letter topic back, as an operator would.
    const consumer = await connectConsumer({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'test-dlq-reader',
      groupId: `${name}-dlq-reader`,
      groupProtocol: 'consumer',
    });
    const letters: Message[] = [];
    try {
      consumer.subscribe([`${name}.dlq`]);
      await eventually(
        '1,036 dead letters',
        async () => {
          const batch = await new Promise<Message[]>((resolve, reject) =>
            consumer.consume(500, (err, m) => (err ? reject(err) : resolve(m))),
          );
          letters.push(...batch);
          return letters.length >= 1036 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 0 },
      );
    } finally {
      await disconnectConsumer(consumer);
    }
    assert.equal(letters.length, 1036);
    const raw = (m: Message, key: string) => {
      for (const h of m.headers ?? []) if (key in h) return h[key] as Buffer | string;
      return undefined;
    };
    const header = (m: Message, key: string) => {
      const value = raw(m, key);
      return value === undefined ? undefined : String(value);
    };
    const codes = new Map<string, number>();
    const keys = new Set<string>();
    for (const m of letters) {
      const code = header(m, DLQ_HEADERS.code) ?? 'none';
      codes.set(code, (codes.get(code) ?? 0) + 1);
      assert.equal(header(m, DLQ_HEADERS.topic), name);
      assert.match(header(m, DLQ_HEADERS.partition) ?? '', /^[0-3]$/);
      assert.match(header(m, DLQ_HEADERS.offset) ?? '', /^\d+$/);
      assert.match(header(m, DLQ_HEADERS.taskManager) ?? '', /^TM-\d\d$/);
      assert.ok((header(m, DLQ_HEADERS.message) ?? '').length > 0);
      keys.add(String(m.key));
    }
    assert.equal(keys.size, 1036, 'each dead letter keyed by its own source coordinates');
    assert.deepEqual(Object.fromEntries(codes), {
      RECORD_NOT_JSON: 526,
      RECORD_SCHEMA_MISMATCH: 300,
      RECORD_EMPTY: 210,
    });

    // The hostile ones, whole: found by their original key (a header), compared byte for byte.
    const byKey = new Map<string, Message>();
    for (const m of letters) {
      const key = raw(m, DLQ_HEADERS.key);
      if (key !== undefined) byKey.set(Buffer.from(key).toString(), m);
    }
    for (const [value, key, headers] of hostile) {
      if (key === null) continue;
      const letter = byKey.get(key);
      assert.ok(letter, `the dead letter of '${key}'`);
      if (value === null) assert.equal(letter.value, null, `'${key}' stays a tombstone`);
      else assert.ok(letter.value && Buffer.compare(letter.value, value) === 0, `'${key}': the same bytes`);
      for (const h of headers)
        for (const [name, bytes] of Object.entries(h))
          assert.ok(
            Buffer.compare(Buffer.from(raw(letter, name) ?? ''), bytes) === 0,
            `'${key}': header ${name}`,
          );
    }
    const keyless = letters.filter((m) => /^no key \d$/.test(String(m.value)));
    assert.equal(keyless.length, 10, 'records without a key are dead-lettered too');
    assert.ok(
      keyless.every((m) => raw(m, DLQ_HEADERS.key) === undefined),
      'and say they had none',
    );
  });
});
