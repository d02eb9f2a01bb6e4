import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { EventLog } from '../../src/logging/event-log.js';
import type { SluiceEvent } from '../../src/logging/events.js';
import { createLogger } from '../../src/logging/logger.js';
import { formatDuration, renderSeedLine } from '../../src/logging/seed-lines.js';

// Golden lines: these strings are a public format that users grep for.
const golden: [SluiceEvent, string][] = [
  [
    { type: 'kafka.wait.started', bootstrapServers: '127.0.0.1:9092', timeoutMs: 60_000 },
    '🔄 Waiting for Kafka setup to complete (timeout: 60s)...',
  ],
  [
    { type: 'kafka.wait.ready', bootstrapServers: '127.0.0.1:9092', attempt: 3, elapsedMs: 2104, brokers: 1 },
    '✅ Kafka setup verified - broker connectivity established after 2104ms (attempt 3)',
  ],
  [
    {
      type: 'kafka.wait.attempt_failed',
      bootstrapServers: '127.0.0.1:9092',
      attempt: 2,
      maxAttempts: 60,
      elapsedMs: 1003,
      error: 'Local: Broker transport failure',
    },
    '⏳ Kafka not ready yet - attempt 2/60 after 1003ms: Local: Broker transport failure',
  ],
  [
    {
      type: 'kafka.wait.timed_out',
      bootstrapServers: '127.0.0.1:1',
      attempts: 2,
      elapsedMs: 2001,
      timeoutMs: 2000,
      error: 'refused',
    },
    '❌ Kafka setup failed - no answer from 127.0.0.1:1 within 2s (2 attempts): refused',
  ],
];

describe('seed lines', () => {
  for (const [event, line] of golden) {
    it(`renders ${event.type} exactly`, () => {
      assert.equal(renderSeedLine(event), line);
    });
  }

  it('formats durations the way the seed writes them', () => {
    assert.equal(formatDuration(60_000), '60s');
    assert.equal(formatDuration(1500), '1500ms');
    assert.equal(formatDuration(180_000), '3m');
  });

  it('logs each event once as JSON with its fields and its seed line as the message', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().trim().split('\n'));
        done();
      },
    });
    const seen: SluiceEvent[] = [];
    const log = new EventLog(createLogger({ format: 'json', level: 'info' }, sink));
    log.subscribe((e) => seen.push(e));
    const [event, line] = golden[1] as [SluiceEvent, string];
    log.child({ taskManagerId: 'TM-01' }).emit(event);
    assert.equal(lines.length, 1);
    const record = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.equal(record.msg, line);
    assert.equal(record.event, 'kafka.wait.ready');
    assert.equal(record.attempt, 3);
    assert.equal(record.elapsedMs, 2104);
    assert.equal(record.taskManagerId, 'TM-01');
    assert.deepEqual(seen, [event], 'listeners on the root see events of child logs');
  });

  it('renders the same event as the bare seed line in the pretty form', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const [event, line] = golden[0] as [SluiceEvent, string];
    new EventLog(createLogger({ format: 'pretty', level: 'info' }, sink)).emit(event);
    assert.ok(out.includes(line), out);
    assert.ok(!out.includes('"event"'), 'no JSON fields in the human form');
  });
});
