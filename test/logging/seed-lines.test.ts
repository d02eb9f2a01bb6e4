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
  [
    {
      type: 'kafka.wait.refused',
      bootstrapServers: '127.0.0.1:9093',
      attempts: 2,
      elapsedMs: 1302,
      error: 'the broker refused the SASL user name or password (SASL authentication error: ...)',
    },
    '❌ Kafka setup failed - 127.0.0.1:9093 refused this client (2 attempts): the broker refused the SASL user name or password (SASL authentication error: ...)',
  ],
  // The seed document's own examples, character for character.
  [
    {
      type: 'taskmanager.partitions_assigned',
      taskManagerId: 'TM-01',
      pid: 12345,
      topic: 'flinkdotnet.sample.topic',
      partitions: [0],
    },
    '📊 TASK MANAGER LOAD DISTRIBUTION: TaskManager TM-01 (PID: 12345) assigned 1 partitions: flinkdotnet.sample.topic [0]',
  ],
  [
    {
      type: 'taskmanager.topic_partitions',
      taskManagerId: 'TM-01',
      topic: 'flinkdotnet.sample.topic',
      partitions: [0],
    },
    "📈 TaskManager TM-01: Topic 'flinkdotnet.sample.topic' partitions 0 (1 out of total available partitions)",
  ],
  [
    { type: 'taskmanager.load_status', taskManagerId: 'TM-01', status: 'ACTIVE', partitions: 1 },
    '⚖️ LOAD BALANCING: TaskManager TM-01 is now actively consuming 1 partitions - Load Status: ACTIVE',
  ],
  [
    { type: 'taskmanager.load_status', taskManagerId: 'TM-02', status: 'IDLE', partitions: 0 },
    '💤 LOAD BALANCING: TaskManager TM-02 has no partitions assigned - Load Status: IDLE',
  ],
  [
    {
      type: 'taskmanager.progress',
      taskManagerId: 'TM-01',
      topic: 'flinkdotnet.sample.topic',
      consumed: 100,
      partition: 0,
      offset: 99,
    },
    "📨 TaskManager TM-01: Consumed 100 messages from Kafka topic 'flinkdotnet.sample.topic' (partition: 0, offset: 99)",
  ],
  [
    { type: 'taskmanager.load_balance_status', taskManagerId: 'TM-01', partitions: 1, consumed: 100 },
    '⚖️ LOAD BALANCE STATUS: TaskManager TM-01 currently assigned 1 partitions, consumed 100 total messages',
  ],
  [
    {
      type: 'taskmanager.partitions_revoked',
      taskManagerId: 'TM-01',
      topic: 'flinkdotnet.sample.topic',
      partitions: [0],
      offsets: [100],
    },
    '📤 TASK MANAGER REBALANCING: TaskManager TM-01 revoked 1 partitions: flinkdotnet.sample.topic [0] [100]',
  ],
  [
    {
      type: 'taskmanager.partitions_lost',
      taskManagerId: 'TM-02',
      topic: 'flinkdotnet.sample.topic',
      partitions: [1],
      offsets: [200],
    },
    '📉 TASK MANAGER FAULT TOLERANCE: TaskManager TM-02 lost 1 partitions: flinkdotnet.sample.topic [1] [200]',
  ],
  [
    {
      type: 'taskmanager.consume_error',
      taskManagerId: 'TM-XX',
      error: 'Broker: Unknown topic or partition',
    },
    '❌ TaskManager TM-XX: Kafka consume error: Broker: Unknown topic or partition',
  ],
  // Lines of the seed's original code (seed-origin notes).
  [
    {
      type: 'taskmanager.ready',
      taskManagerId: 'TM-01',
      topic: 'flinkdotnet.sample.topic',
      groupId: 'g',
      groupProtocol: 'consumer',
      checkpointCommit: 'aligned',
    },
    "✅ TASK MANAGER TM-01: Ready to consume from topic 'flinkdotnet.sample.topic' with load balancing",
  ],
  [
    { type: 'taskmanager.source_completed', taskManagerId: 'TM-01', consumed: 25000 },
    '🏁 TaskManager TM-01: Kafka source function completed. Total messages consumed: 25000',
  ],
  [
    {
      type: 'job.monitor',
      elapsedSeconds: 12,
      key: 'flinkdotnet:sample:processed_message_counter',
      count: 500,
      total: 1000,
    },
    "📊 JOB MONITOR: 12.0s - Redis counter 'flinkdotnet:sample:processed_message_counter': 500/1000 (50.0%)",
  ],
  [
    { type: 'job.completed', count: 1000, elapsedSeconds: 3.25 },
    '✅ JOB MONITOR: Job completed - processed 1000 messages in 3.3s',
  ],
  // Sluice's own lines: the link to the JobManager.
  [
    {
      type: 'taskmanager.jobmanager_disconnected',
      taskManagerId: 'TM-03',
      reason: 'the JobManager closed the connection',
      graceMs: 60_000,
    },
    '📡 TaskManager TM-03: lost the JobManager (the JobManager closed the connection) - consuming on, registering again for up to 60s',
  ],
  [
    { type: 'taskmanager.jobmanager_reconnected', taskManagerId: 'TM-03', downMs: 4210 },
    '🔗 TaskManager TM-03: registered with the JobManager again after 4210ms',
  ],
  [
    { type: 'taskmanager.task_revived', taskManagerId: 'TM-03', task: 'events-3', offset: 1985 },
    '♻️ TaskManager TM-03: task events-3 was fenced with no new owner (the broker aborted its transaction) - taken up again from offset 1985',
  ],
  [
    {
      type: 'jobmanager.ownership_conflict',
      taskManagerId: 'TM-03',
      tasks: [4, 5],
      owners: ['sluice-TM-01'],
      forMs: 10_000,
    },
    '🧟 JOB MANAGER: TaskManager TM-03 still claims tasks [4, 5] 10s after the broker gave them to sluice-TM-01 - told to exit and start again',
  ],
  // Several partitions: the seed's bracketed lists, comma-separated.
  [
    {
      type: 'taskmanager.partitions_revoked',
      taskManagerId: 'TM-04',
      topic: 't',
      partitions: [1, 2, 3],
      offsets: [10, 20, 30],
    },
    '📤 TASK MANAGER REBALANCING: TaskManager TM-04 revoked 3 partitions: t [1, 2, 3] [10, 20, 30]',
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
