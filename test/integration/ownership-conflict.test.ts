// A TaskManager whose consumer missed its own revocation (seen once after a broker restart: it kept
// claiming partitions the broker had given to another member, and held the run back). The JobManager
// compares the claims with the broker's description of the group and tells such a TaskManager to
// go; the TaskManager process exits with TASKMANAGER_OWNERSHIP_LOST, to be started again.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { connectConsumer, disconnectConsumer } from '../../src/connectors/kafka/consumer.js';
import type { KafkaConsumer } from '../../src/connectors/kafka/rdkafka.js';
import { JobManager } from '../../src/jobmanager/job-manager.js';
import { EventLog } from '../../src/logging/event-log.js';
import type { SluiceEvent } from '../../src/logging/events.js';
import { createLogger } from '../../src/logging/logger.js';
import { TASKMANAGER_SOCKET_PATH } from '../../src/protocol/messages.js';
import { seedJobFile, testJobSpec } from '../helpers/cluster.js';
import { clusterSuite } from '../helpers/cluster-run.js';
import { startSluice } from '../helpers/sluice-process.js';
import { eventually, testEnv, within } from '../helpers/test-env.js';

/** A heartbeat claiming these tasks of `topic` (task = partition: one source topic). */
function heartbeat(topic: string, tasks: number[]) {
  return {
    type: 'heartbeat',
    status: 'ACTIVE',
    tasks: tasks.map((task) => ({
      task,
      topic,
      partition: task,
      position: 0,
      consumed: 0,
      emitted: 0,
      deadLettered: 0,
      state: 'RUNNING',
    })),
    consumed: 0,
    emitted: 0,
    taskTotals: [],
    rssBytes: 0,
    lastCommittedCheckpoint: 0,
    latency: {},
    fencedWrites: 0,
    deadLettered: 0,
  };
}

describe('a TaskManager claiming tasks the broker gave to another member', { timeout: 120_000 }, () => {
  const { admin, topics } = clusterSuite('test-ownership');
  const closers: (() => Promise<unknown> | unknown)[] = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('is told by the JobManager once the grace is over, naming the tasks and their owner', async () => {
    const job = testJobSpec({ partitions: 2 });
    topics.push(job.topic);
    await admin.createTopic(job.topic, 2);
    const events: SluiceEvent[] = [];
    const log = new EventLog(createLogger({ format: 'json', level: 'silent' }));
    log.subscribe((e) => events.push(e));
    const jm = new JobManager({
      job: job.spec,
      kafkaSecurity: PLAINTEXT,
      port: 0,
      ownershipGraceMs: 3000,
      events: log,
    });
    const url = await jm.start();
    closers.push(() => jm.close());
    // The broker's member: a plain consumer of the group, given both partitions.
    const consumer: KafkaConsumer = await connectConsumer({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'the-real-owner',
      groupId: job.groupId,
      groupProtocol: 'consumer',
    });
    closers.push(() => disconnectConsumer(consumer));
    consumer.subscribe([job.topic]);
    await eventually(
      'the plain consumer to own both partitions',
      async () => {
        await new Promise<void>((resolve) => consumer.consume(10, () => resolve()));
        return consumer.assignments().length === 2 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    // TM-01 registers and claims partition 1 in its heartbeats, as the stuck TaskManager did.
    const socket = new WebSocket(`${url.replace('http', 'ws')}${TASKMANAGER_SOCKET_PATH}`);
    closers.push(() => socket.terminate());
    const received: { type: string; tasks?: number[]; owners?: string[]; forMs?: number }[] = [];
    socket.on('message', (data) => received.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(
      JSON.stringify({
        type: 'register',
        taskManagerId: 'TM-01',
        pid: process.pid,
        host: 'here',
        clientId: 'sluice-TM-01',
      }),
    );
    await eventually('registered', () => (received.some((m) => m.type === 'registered') ? true : undefined));
    const claiming = setInterval(() => socket.send(JSON.stringify(heartbeat(job.topic, [1]))), 500);
    closers.push(() => clearInterval(claiming));
    const notice = await eventually(
      'the JobManager to tell TM-01 its claim is lost',
      () => received.find((m) => m.type === 'ownership_lost'),
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(notice.tasks, [1]);
    assert.deepEqual(notice.owners, ['the-real-owner']);
    assert.ok((notice.forMs ?? 0) >= 3000, `after the grace: ${notice.forMs} ms`);
    const said = events.find((e) => e.type === 'jobmanager.ownership_conflict');
    assert.ok(said && said.type === 'jobmanager.ownership_conflict');
    assert.equal(said.taskManagerId, 'TM-01');
  });

  it('makes the TaskManager process exit with TASKMANAGER_OWNERSHIP_LOST', async () => {
    const job = testJobSpec({ partitions: 2 });
    topics.push(job.topic);
    await admin.createTopic(job.topic, 2);
    await admin.createTopic(job.spec.deadLetterTopic, 1);
    // A JobManager stand-in: registers the TaskManager, starts it, and at its first heartbeat tells it
    // the broker gave its task 0 to another member.
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    server.on('connection', (socket) => {
      // Every connection opens with the JobManager's challenge (unsecured here): then the registration.
      socket.send(JSON.stringify({ type: 'challenge', nonce: '00', secured: false }));
      let told = false;
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string };
        if (message.type === 'register') {
          socket.send(JSON.stringify({ type: 'registered', job: job.spec, subscribe: true }));
        } else if (message.type === 'heartbeat' && !told) {
          told = true;
          socket.send(
            JSON.stringify({ type: 'ownership_lost', tasks: [0], owners: ['sluice-TM-02'], forMs: 10_000 }),
          );
        }
      });
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    const tm = startSluice('taskmanager', [
      'taskmanager',
      '--id',
      'TM-01',
      '--jobmanager',
      `http://127.0.0.1:${port}`,
      '--job',
      seedJobFile,
    ]);
    closers.push(() => tm.stop('SIGKILL'));
    const exit = await within(tm.exited, 60_000, 'the TaskManager to exit');
    assert.equal(exit?.code, 3, tm.lines.join('\n'));
    assert.ok(
      tm.lines.some((l) =>
        /SLUICE_ERR_TASKMANAGER_OWNERSHIP_LOST: TaskManager TM-01 still held tasks 0 10 s after the broker gave them to sluice-TM-02/.test(
          l,
        ),
      ),
      tm.lines.join('\n'),
    );
  });
});
