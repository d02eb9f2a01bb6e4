// What the tests that run `sluice run` on the test broker share: the settings that point it at the
// test's Kafka and Redis (never starting or stopping them), the topics and state directories to
// remove afterwards, and reading a windowed job's results back read_committed against an offline
// computation.

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after } from 'node:test';
import type { WindowResult } from '../../src/api/windows.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { readCommitted } from './committed-reader.js';
import { stopAllSluice } from './sluice-process.js';
import { testEnv } from './test-env.js';
import type { Event } from './window-oracle.js';

/** Environment for `sluice run` on the test's broker and Redis, with its own local state directory. */
export function sluiceRunEnv(stateDir: string): Record<string, string> {
  return {
    SLUICE_KAFKA_PORT: testEnv.kafkaBootstrap.split(':')[1] ?? '',
    SLUICE_REDIS_PORT: new URL(testEnv.redisUrl).port,
    SLUICE_MANAGE_INFRA: 'false',
    SLUICE_JOBMANAGER_PORT: '0',
    SLUICE_CHECKPOINT_INTERVAL: '500ms',
    SLUICE_PARTITIONS: '4',
    SLUICE_STATE_DIR: stateDir,
  };
}

/** An admin client, and the topics and directories a suite made, removed after it (processes first). */
export function clusterSuite(clientId: string): { admin: KafkaAdmin; topics: string[]; dirs: string[] } {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId,
  });
  const topics: string[] = [];
  const dirs: string[] = [];
  after(async () => {
    await stopAllSluice();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    for (const topic of topics) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  });
  return { admin, topics, dirs };
}

/**
 * Reads a windowed job's results (`WindowResult` JSON) read_committed and asserts that no window
 * came twice and that every count equals the offline computation's (`<key>|<start>|<end>` → count).
 */
export async function assertWindows(
  topic: string,
  expected: ReadonlyMap<string, number>,
  what: string,
): Promise<void> {
  const got = new Map<string, number>();
  const duplicated: string[] = [];
  for (const m of await readCommitted(topic, expected.size)) {
    const w = JSON.parse(String(m.value)) as WindowResult<number>;
    const id = `${w.key}|${w.start}|${w.end}`;
    if (got.has(id)) duplicated.push(id);
    got.set(id, w.value);
  }
  assert.deepEqual(duplicated, [], `${what}: windows emitted twice`);
  const wrong = [...new Set([...got.keys(), ...expected.keys()])]
    .filter((id) => got.get(id) !== expected.get(id))
    .map((id) => `${id}: got ${got.get(id)}, expected ${expected.get(id)}`);
  assert.deepEqual(wrong, [], `${what}: window counts differ from the offline computation`);
}

/** `sluice run <job> --taskmanagers N --group G --param k=v ...` and anything after. */
export function runArgs(
  jobFile: string,
  options: { taskManagers: number; group: string; params: Record<string, string>; more?: string[] },
): string[] {
  return [
    'run',
    jobFile,
    '--taskmanagers',
    String(options.taskManagers),
    '--group',
    options.group,
    ...Object.entries(options.params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
    ...(options.more ?? []),
  ];
}

/** Writes window-oracle events to the test broker, keyed by user (a producer of its own, flushed). */
export async function produceEvents(
  topic: string,
  events: readonly Event[],
  clientId: string,
): Promise<void> {
  const producer = await KafkaProducer.connect({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId,
  });
  try {
    for (const e of events) await producer.send(topic, null, Buffer.from(JSON.stringify(e)), e.user);
    await producer.flush();
  } finally {
    await producer.close();
  }
}
