// The JobManager's REST API, Prometheus metrics, OpenAPI document and dashboard against a running
// cluster (5 real TaskManagers, checkpoints, real Kafka and Redis), checked against the broker's own
// description of the group. The dashboard is loaded in headless Chromium; a kill -9 must show.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Redis } from 'ioredis';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { TaskManagerLauncher } from '../../src/jobmanager/taskmanager-launcher.js';
import { kafkaModeMessage } from '../../src/runs/sample-messages.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { startTestCluster, type TestCluster, testJobSpec } from '../helpers/cluster.js';
import { eventually, testEnv } from '../helpers/test-env.js';

/** Prometheus text format → samples. Fails on a line that is not a comment or a sample. */
function parsePrometheus(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.exec(line);
    assert.ok(m, `not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[3] ?? '').match(/[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"/g) ?? []) {
      const [k, v] = pair.split('=');
      labels[k as string] = (v as string).slice(1, -1);
    }
    samples.push({ name: m[1] as string, labels, value: Number(m[4]) });
  }
  return samples;
}

describe('JobManager REST API, metrics and dashboard', { timeout: 240_000 }, () => {
  const job = testJobSpec();
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-rest',
  });
  let t: TestCluster;
  let url: string;
  let redis: Redis;
  let store: CheckpointStore;
  const get = async (p: string) => {
    const response = await fetch(`${url}${p}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async () => {
    redis = createRedis({ url: testEnv.redisUrl });
    await redis.connect();
    await admin.ensureTopic(job.topic, 4);
    store = new CheckpointStore(redis, job.groupId);
    t = await startTestCluster(job.spec, { checkpointing: { intervalMs: 300, timeoutMs: 3000, store } });
    url = t.cluster.jobManager.url;
    const ids = TaskManagerLauncher.ids(5);
    t.cluster.launch(ids);
    await t.cluster.waitForRegistered(ids, 60_000);
    t.cluster.jobManager.startGroup();
    await t.cluster.waitForDistribution(60_000, 5);
    const producer = await KafkaProducer.connect({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'test-rest-producer',
    });
    for (let id = 1; id <= 2000; id++)
      await producer.send(job.topic, id % 4, Buffer.from(kafkaModeMessage(id)));
    await producer.flush();
    await producer.close();
    // Until the group's committed offsets reached the end: after that nothing the tests compare moves
    // (the REST API caches offsets for a second; a commit landing in between made them differ).
    await eventually('the input to be counted, checkpointed and committed', async () => {
      const latest = await store.latest();
      if (Number(await redis.get(job.counterKey)) !== 2000 || !latest?.tasks.every((x) => x.position > 0))
        return undefined;
      const [ends, committed] = await Promise.all([
        admin.endOffsets(job.topic, 4),
        admin.committedOffsets(job.groupId, job.topic, 4),
      ]);
      return [...ends].every(([p, end]) => committed.get(p) === end) ? true : undefined;
    });
  });

  after(async () => {
    await t?.cluster.shutdown();
    await store?.clear();
    await admin.deleteTopic(job.topic).catch(() => {});
    admin.close();
    redis?.disconnect();
  });

  it('serves a valid OpenAPI document, and every endpoint answers what it documents', async () => {
    const doc = (await get('/openapi.json')).body;
    const result = await validateOpenApi(structuredClone(doc) as never);
    assert.equal(result.valid, true, JSON.stringify(result));
    const ajv = new Ajv2020({ strict: false });
    const paths = doc.paths as Record<
      string,
      { get: { responses: { '200': { content: Record<string, { schema: object }> } } } }
    >;
    const concrete: Record<string, string> = {
      '/taskmanagers/{taskmanagerid}': '/taskmanagers/TM-01',
      '/jobs/{jobid}': `/jobs/${job.spec.runId}`,
      '/jobs/{jobid}/checkpoints': `/jobs/${job.spec.runId}/checkpoints`,
      '/jobs/{jobid}/checkpoints/config': `/jobs/${job.spec.runId}/checkpoints/config`,
    };
    for (const [p, item] of Object.entries(paths)) {
      if (p === '/metrics') continue;
      const schema = item.get.responses['200'].content['application/json']?.schema;
      assert.ok(schema, `${p} documents a JSON schema`);
      const { status, body } = await get(concrete[p] ?? p);
      assert.equal(status, 200, p);
      assert.ok(ajv.validate(schema, body), `${p}: ${ajv.errorsText()}`);
    }
    assert.equal((await get('/taskmanagers/TM-99')).status, 404);
    assert.equal((await get('/jobs/no-such-job')).status, 404);
  });

  it('agrees with the broker: TaskManagers, partitions and their owners, offsets', async () => {
    const overview = (await get('/overview')).body;
    assert.equal(overview.taskmanagers, 5);
    assert.equal(overview['taskmanagers-active'], 4);
    assert.equal(overview['taskmanagers-idle'], 1);
    assert.equal(overview['slots-total'], 4);
    assert.equal(overview['slots-available'], 0);

    const group = await admin.describeGroup(job.groupId);
    const brokerOwner = new Map<number, string>();
    for (const m of group.members)
      for (const p of m.partitions) brokerOwner.set(p.partition, m.clientId.replace(/^sluice-/, ''));
    const tms = (await get('/taskmanagers')).body.taskmanagers as {
      id: string;
      partitions: number[];
      state: string;
    }[];
    for (const tm of tms) {
      assert.deepEqual(
        tm.partitions,
        [...brokerOwner].filter(([, o]) => o === tm.id).map(([p]) => p),
        `${tm.id} partitions`,
      );
    }
    const partitions = (await get('/partitions')).body.partitions as {
      partition: number;
      owner: string;
      endOffset: number;
      committedOffset: number;
      lag: number;
      lastCheckpointedPosition: number;
    }[];
    const ends = await admin.endOffsets(job.topic, 4);
    const committed = await admin.committedOffsets(job.groupId, job.topic, 4);
    for (const p of partitions) {
      assert.equal(p.owner, brokerOwner.get(p.partition), `owner of partition ${p.partition}`);
      assert.equal(p.endOffset, ends.get(p.partition));
      assert.equal(p.committedOffset, committed.get(p.partition));
      assert.equal(p.lag, (ends.get(p.partition) ?? 0) - (committed.get(p.partition) ?? 0));
      assert.ok(p.lastCheckpointedPosition >= p.committedOffset);
    }
    const detail = (await get(`/jobs/${job.spec.runId}`)).body as {
      state: string;
      vertices: { parallelism: number; tasks: { taskmanager: string }[] }[];
    };
    assert.equal(detail.state, 'RUNNING');
    assert.equal(detail.vertices[0]?.parallelism, 4);
    assert.deepEqual(
      detail.vertices[0]?.tasks.map((x) => x.taskmanager),
      [0, 1, 2, 3].map((p) => brokerOwner.get(p)),
    );
    const checkpoints = (await get(`/jobs/${job.spec.runId}/checkpoints`)).body as {
      counts: { completed: number };
    };
    assert.ok(checkpoints.counts.completed > 0);
    // The settings this cluster was started with (aligned: the default).
    assert.deepEqual((await get(`/jobs/${job.spec.runId}/checkpoints/config`)).body, {
      mode: 'exactly_once',
      commit: 'aligned',
      interval: 300,
      timeout: 3000,
      commit_interval: null,
    });
  });

  it('exposes Prometheus metrics whose assignment gauge matches the broker', async () => {
    const response = await fetch(`${url}/metrics`);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    parsePrometheus(await response.text());
    // Figures come with heartbeats (every second): wait until they carry all 2,000 records.
    const samples = await eventually('the metrics to count 2,000 records', async () => {
      const s = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
      return s.filter((x) => x.name === 'sluice_numRecordsIn').reduce((n, x) => n + x.value, 0) === 2000
        ? s
        : undefined;
    });
    const group = await admin.describeGroup(job.groupId);
    const broker = group.members
      .flatMap((m) => m.partitions.map((p) => `${p.partition}=${m.clientId.replace(/^sluice-/, '')}`))
      .sort();
    const gauge = samples
      .filter((s) => s.name === 'sluice_partition_assignment' && s.value === 1)
      .map((s) => `${s.labels.partition}=${s.labels.taskmanager}`)
      .sort();
    assert.deepEqual(gauge, broker);
    for (const name of [
      'sluice_committedOffsets',
      'sluice_currentOffsets',
      'sluice_lastCheckpointDuration',
      'sluice_numberOfCompletedCheckpoints',
      'sluice_rejected_zombie_writes_total',
      'sluice_dead_letters_total',
    ]) {
      assert.ok(
        samples.some((s) => s.name === name),
        `${name} exposed`,
      );
    }
  });

  it('shows the cluster live in the dashboard, and a kill -9 moves a partition on the page', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`${url}/`);
      await page.waitForFunction(
        "document.querySelectorAll('.tm.ACTIVE').length === 4 && document.querySelectorAll('.tm.IDLE').length === 1",
        undefined,
        { timeout: 15_000 },
      );
      for (const tm of t.cluster.registry.connected()) {
        const shown = await page.locator(`[data-tm="${tm.id}"]`).getAttribute('data-partitions');
        assert.equal(shown, tm.tasks.join(','), `${tm.id} on the page`);
      }
      await page.screenshot({ path: screenshotPath('dashboard-before-kill.png'), fullPage: true });

      const victim = t.cluster.registry.connected().find((x) => x.status === 'ACTIVE');
      assert.ok(victim);
      const partition = victim.tasks[0];
      t.cluster.kill(victim.id, 'SIGKILL');
      // The partition shows a new owner, and the killed TaskManager shows as LOST.
      await page.waitForFunction(
        `(() => { const o = document.querySelector('tr[data-partition="${partition}"]')?.getAttribute('data-owner'); return !!o && o !== '${victim.id}'; })()`,
        undefined,
        { timeout: 30_000 },
      );
      await page.waitForFunction(
        `document.querySelector('[data-tm="${victim.id}"]')?.getAttribute('data-state') === 'LOST'`,
        undefined,
        {
          timeout: 15_000,
        },
      );
      await page.screenshot({ path: screenshotPath('dashboard-after-kill.png'), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
