// The TaskManager's link to its JobManager survives the JobManager going away: it registers again
// with a new one on the same address, stops when that one runs another job, and stops when none
// comes back within the grace period. The JobManager's end is a bare WebSocket server here.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import type { JobSpec } from '../../src/protocol/messages.js';
import {
  JobManagerConnection,
  type JobManagerHandlers,
} from '../../src/taskmanager/jobmanager-connection.js';
import { eventually, uniqueName } from '../helpers/test-env.js';

/** A job as the JobManager would send it; nothing here connects to Kafka or Redis. */
function testJobSpec(): JobSpec {
  return {
    job: { name: 'flinkdotnet-sample', file: '/nowhere/job.js', description: 'a job' },
    parameters: {},
    buildHash: 'abc',
    runId: uniqueName('run'),
    sources: [{ topic: 't', partitions: 4, startPositions: [0, 0, 0, 0] }],
    groupId: 'g',
    groupProtocol: 'consumer',
    bootstrapServers: '127.0.0.1:1',
    kafkaWaitTimeoutMs: 1000,
    redisUrl: 'redis://127.0.0.1:1',
    deadLetterTopic: 't.dlq',
    progressEvery: 1000,
    consumeBatch: 100,
    checkpointTimeoutMs: 1000,
  };
}

/** A JobManager stand-in: answers every registration with `job`, pings every 100 ms unless told not to. */
function fakeJobManager(job: JobSpec, port = 0, options: { ping?: boolean; thenStart?: boolean } = {}) {
  const server = new WebSocketServer({ port, host: '127.0.0.1' });
  const registrations: string[] = [];
  server.on('connection', (socket) => {
    // A JobManager opens every connection with its challenge (unsecured here).
    socket.send(JSON.stringify({ type: 'challenge', nonce: '00', secured: false }));
    const pinger = setInterval(() => {
      if (options.ping !== false) socket.ping();
    }, 100);
    socket.on('close', () => clearInterval(pinger));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; taskManagerId?: string };
      if (message.type !== 'register') return;
      registrations.push(message.taskManagerId ?? '');
      socket.send(JSON.stringify({ type: 'registered', job, subscribe: true }));
      // Right behind the answer, as a JobManager does when the group starts at that moment.
      if (options.thenStart) socket.send(JSON.stringify({ type: 'start' }));
    });
  });
  const listening = new Promise<number>((resolve) =>
    server.once('listening', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    server,
    registrations,
    listening,
    /** Closes the server and every connection (a JobManager that died). */
    stop: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

function recorder() {
  const seen: string[] = [];
  const handlers: JobManagerHandlers = {
    onStart: () => seen.push('start'),
    onStop: (reason) => seen.push(`stop: ${reason}`),
    onMembership: () => {},
    onTriggerCheckpoint: () => {},
    onCheckpointComplete: () => {},
    onCheckpointAborted: () => {},
    onDisconnected: (reason) => seen.push(`disconnected: ${reason}`),
    onReconnected: (_downMs, subscribe) => seen.push(`reconnected subscribe=${subscribe}`),
    onLost: (reason) => seen.push(`lost: ${reason}`),
  };
  return { seen, handlers };
}

const registration = { taskManagerId: 'TM-01', pid: 1, host: 'h', clientId: 'sluice-TM-01' };

describe('JobManagerConnection', () => {
  const connections: JobManagerConnection[] = [];
  const servers: { stop: () => Promise<void> }[] = [];
  after(async () => {
    for (const c of connections) await c.close();
    for (const s of servers) await s.stop().catch(() => {});
  });

  it('keeps a message that arrives right behind the registration answer', async () => {
    const jobManager = fakeJobManager(testJobSpec(), 0, { thenStart: true });
    servers.push(jobManager);
    const port = await jobManager.listening;
    const { seen, handlers } = recorder();
    const connection = await JobManagerConnection.connect(`http://127.0.0.1:${port}`, registration, handlers);
    connections.push(connection);
    await eventually('the start message handled', () => (seen.includes('start') ? true : undefined), {
      timeoutMs: 3000,
    });
  });

  it('registers again with a restarted JobManager of the same job', async () => {
    const job = testJobSpec();
    const first = fakeJobManager(job);
    const port = await first.listening;
    const { seen, handlers } = recorder();
    const connection = await JobManagerConnection.connect(
      `http://127.0.0.1:${port}`,
      registration,
      handlers,
      {
        reconnectGraceMs: 10_000,
      },
    );
    connections.push(connection);
    assert.equal(connection.job.runId, job.runId);
    await first.stop();
    await eventually('the disconnect to be noticed', () => (connection.connected ? undefined : true));
    const second = fakeJobManager(job, port);
    servers.push(second);
    await second.listening;
    await eventually('the second registration', () =>
      seen.includes('reconnected subscribe=true') ? true : undefined,
    );
    assert.deepEqual(second.registrations, ['TM-01']);
    assert.equal(connection.connected, true);
    assert.match(seen[0] ?? '', /^disconnected: /);
    assert.equal(seen.filter((s) => s.startsWith('lost')).length, 0);
  });

  it('stops when the JobManager that answers runs another job', async () => {
    const first = fakeJobManager(testJobSpec());
    const port = await first.listening;
    const { seen, handlers } = recorder();
    const connection = await JobManagerConnection.connect(
      `http://127.0.0.1:${port}`,
      registration,
      handlers,
      {
        reconnectGraceMs: 10_000,
      },
    );
    connections.push(connection);
    await first.stop();
    const other = testJobSpec();
    const second = fakeJobManager(other, port);
    servers.push(second);
    const lost = await eventually('the TaskManager to give up', () => seen.find((s) => s.startsWith('lost')));
    assert.match(lost, new RegExp(`now runs job run ${other.runId}`));
  });

  it('stops when no JobManager comes back within the grace period', async () => {
    const first = fakeJobManager(testJobSpec());
    const port = await first.listening;
    const { seen, handlers } = recorder();
    const connection = await JobManagerConnection.connect(
      `http://127.0.0.1:${port}`,
      registration,
      handlers,
      {
        reconnectGraceMs: 1500,
      },
    );
    connections.push(connection);
    await first.stop();
    const lost = await eventually(
      'the TaskManager to give up',
      () => seen.find((s) => s.startsWith('lost')),
      {
        timeoutMs: 10_000,
      },
    );
    assert.match(lost, /no JobManager at .* for 1500ms/);
  });

  it('drops a connection on which the JobManager went silent (a cut link sends no reset)', async () => {
    const job = testJobSpec();
    const silent = fakeJobManager(job, 0, { ping: false });
    servers.push(silent);
    const port = await silent.listening;
    const { seen, handlers } = recorder();
    const connection = await JobManagerConnection.connect(
      `http://127.0.0.1:${port}`,
      registration,
      handlers,
      {
        reconnectGraceMs: 10_000,
        silenceTimeoutMs: 1500,
      },
    );
    connections.push(connection);
    const reason = await eventually(
      'the silence to be noticed',
      () => seen.find((s) => s.startsWith('disconnected')),
      { timeoutMs: 10_000 },
    );
    assert.match(reason, /nothing heard from the JobManager for \d+ms/);
    // The same server is still there: the TaskManager registers with it again.
    await eventually('the registration on a fresh connection', () =>
      silent.registrations.length >= 2 ? true : undefined,
    );
  });
});
