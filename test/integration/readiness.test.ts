// The seed's Kafka readiness wait, against a dead port and against the running broker.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { waitForKafka } from '../../src/connectors/kafka/readiness.js';
import { SluiceError } from '../../src/errors/sluice-error.js';
import { findFreePort } from '../../src/infra/ports.js';
import { EventLog } from '../../src/logging/event-log.js';
import type { SluiceEvent } from '../../src/logging/events.js';
import { createLogger } from '../../src/logging/logger.js';
import { renderSeedLine } from '../../src/logging/seed-lines.js';
import { eventually, testEnv, uniqueName } from '../helpers/test-env.js';

function recordingLog(): { events: EventLog; lines: string[] } {
  const events = new EventLog(createLogger({ format: 'json', level: 'silent' }));
  const lines: string[] = [];
  events.subscribe((e: SluiceEvent) => lines.push(renderSeedLine(e)));
  return { events, lines };
}

describe('Kafka readiness wait', { timeout: 60_000 }, () => {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-readiness',
  });
  const topics: string[] = [];
  after(async () => {
    for (const t of topics) await admin.deleteTopic(t).catch(() => {});
    admin.close();
  });

  it('fails with KAFKA_NOT_READY naming the address when nothing listens, within its deadline', async () => {
    const port = await findFreePort();
    const bootstrapServers = `127.0.0.1:${port}`;
    const { events, lines } = recordingLog();
    const timeoutMs = 2500;
    const started = Date.now();
    await assert.rejects(
      waitForKafka({ bootstrapServers, security: PLAINTEXT, timeoutMs, intervalMs: 500, events }),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError);
        assert.equal(error.code, 'KAFKA_NOT_READY');
        assert.ok(error.message.includes(bootstrapServers), error.message);
        assert.match(error.message, /npx sluice infra up/);
        return true;
      },
    );
    const elapsed = Date.now() - started;
    // A deadline, not a speed claim: the wait must end (it may not hang past its timeout).
    assert.ok(elapsed < timeoutMs + 3000, `took ${elapsed}ms for a ${timeoutMs}ms deadline`);
    assert.equal(lines[0], '🔄 Waiting for Kafka setup to complete (timeout: 2500ms)...');
    assert.ok(
      lines.some((l) => l.startsWith('⏳ Kafka not ready yet - attempt 1/5 after ')),
      lines.join('\n'),
    );
    assert.ok(
      lines.at(-1)?.startsWith(`❌ Kafka setup failed - no answer from ${bootstrapServers} within 2500ms`),
    );
    assert.ok(!lines.some((l) => l.includes('proceeding')));
  });

  it('succeeds against the running broker on the first attempt', async () => {
    const { events, lines } = recordingLog();
    const ready = await waitForKafka({
      bootstrapServers: testEnv.kafkaBootstrap,
      security: PLAINTEXT,
      timeoutMs: 10_000,
      events,
    });
    assert.equal(ready.attempts, 1);
    assert.match(
      lines.at(-1) ?? '',
      /^✅ Kafka setup verified - broker connectivity established after \d+ms \(attempt 1\)$/,
    );
  });

  it('waits for a named topic until it exists and its partitions have leaders', async () => {
    const topic = uniqueName('ready');
    topics.push(topic);
    const { events, lines } = recordingLog();
    const waiting = waitForKafka({
      bootstrapServers: testEnv.kafkaBootstrap,
      security: PLAINTEXT,
      timeoutMs: 20_000,
      intervalMs: 300,
      topic,
      events,
    });
    // Create it only once the wait has seen it missing at least once.
    await eventually('the wait to see the topic missing', () =>
      lines.some((l) => l.includes(`topic '${topic}' does not exist yet`)) ? true : undefined,
    );
    await admin.createTopic(topic, 4);
    const ready = await waiting;
    assert.ok(ready.attempts >= 2);
    const view = await admin.describeTopic(topic);
    assert.equal(view.partitions.length, 4);
    assert.ok(view.partitions.every((p) => p.leader >= 0));
  });
});
