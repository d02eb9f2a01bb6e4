// A TaskManager cut off from the broker only (issue 14), while it still reaches Redis and the
// JobManager: network namespaces for the broker, Redis, the JobManager and two TaskManager hosts;
// host A loses its route to the broker (a blackhole route: packets vanish, nobody is told). Its
// consumer can no longer heartbeat, so the broker moves its partitions to host B; host A's
// TaskManager stays registered with the JobManager and could still write to Redis, but the guard
// refuses any write of its (the new owner's epoch is higher). Every id is applied exactly once.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyIds } from '../../src/connectors/redis/id-verifier.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { guardTakeover } from '../helpers/guard-takeover.js';
import { produceIds } from '../helpers/id-producer.js';
import { infraIn, keepLogs, startNamespacedCluster } from '../helpers/namespaced-cluster.js';
import { stopAllSluice } from '../helpers/sluice-process.js';
import { eventually } from '../helpers/test-env.js';
import { networkNamespacesUnavailable, TestNetwork } from '../helpers/test-network.js';

interface RestTaskManager {
  id: string;
  state: string;
  partitions: number[];
}

const PARTITIONS = 4;

describe('a TaskManager cut off from the broker only', () => {
  const unavailable = networkNamespacesUnavailable();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-brokercut-'));
  let network: TestNetwork | undefined;
  const stopInfra: (() => void)[] = [];
  let redis: ReturnType<typeof createRedis> | undefined;
  let passed = false;
  after(async () => {
    await stopAllSluice();
    redis?.disconnect();
    for (const stop of stopInfra) stop();
    network?.destroy();
    // A failed run keeps the processes' logs.
    if (!passed) keepLogs(stateDir, 'broker-cut');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('loses its partitions to the other host, its late writes refused; exact result', async (t) => {
    if (unavailable) {
      t.skip(`network namespaces cannot be made here: ${unavailable}`);
      return;
    }
    const net = TestNetwork.create(['kafka', 'redis', 'jobmanager', 'host-a', 'host-b']);
    network = net;
    // The broker and Redis on hosts of their own, so that one can be cut without the other.
    for (const service of ['kafka', 'redis'])
      stopInfra.push(infraIn(net.host(service), path.join(stateDir, service), [service]));
    const kafkaAddress = net.host('kafka').address;
    const bootstrap = `${kafkaAddress}:9092`;
    const redisUrl = `redis://${net.host('redis').address}:6379`;
    const { name, counterKey, jobManagerUrl, taskManagers } = startNamespacedCluster({
      net,
      stateDir,
      bootstrap,
      redisUrl,
      prefix: 'brokercut',
      taskManagers: [
        ['TM-A1', 'host-a'],
        ['TM-B1', 'host-b'],
        ['TM-B2', 'host-b'],
      ],
    });
    const registry = async () =>
      ((await (await fetch(`${jobManagerUrl}/taskmanagers`)).json()) as { taskmanagers: RestTaskManager[] })
        .taskmanagers;
    const owned = (tms: RestTaskManager[], ids: string[]) =>
      tms
        .filter((tm) => ids.includes(tm.id))
        .flatMap((tm) => tm.partitions)
        .sort();
    const spread = await eventually(
      'every partition owned, spread over the three TaskManagers',
      async () => {
        const tms = await registry();
        const loads = ['TM-A1', 'TM-B1', 'TM-B2'].map((id) => owned(tms, [id]).length);
        return owned(tms, ['TM-A1', 'TM-B1', 'TM-B2']).join() === '0,1,2,3' && Math.min(...loads) >= 1
          ? tms
          : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const onHostA = owned(spread, ['TM-A1']);

    redis = createRedis({ url: redisUrl });
    await redis.connect();
    const activeRedis = redis;
    const counter = async () => Number((await activeRedis.get(counterKey)) ?? 0);
    const total = 12_000;
    const input = produceIds({
      bootstrapServers: bootstrap,
      topic: name,
      partitions: PARTITIONS,
      from: 1,
      to: total,
      perSecond: 600,
    });
    input.catch(() => {});
    await eventually('input flowing', async () => ((await counter()) >= 2000 ? true : undefined));

    // Host A loses the broker, nothing else.
    const hostA = net.host('host-a');
    const cutMs = await guardTakeover(activeRedis, counterKey, name, onHostA, () =>
      execFileSync('ip', ['-n', hostA.namespace, 'route', 'add', 'blackhole', `${kafkaAddress}/32`]),
    );
    // It still reaches the JobManager: registered, not DISCONNECTED, while host B does its work.
    const during = await registry();
    assert.notEqual(during.find((tm) => tm.id === 'TM-A1')?.state, 'DISCONNECTED', JSON.stringify(during));
    assert.deepEqual(owned(during, ['TM-B1', 'TM-B2']), [0, 1, 2, 3], 'host B owns every partition');
    // ...and Redis: a write it still had to make was refused by the guard, or it made none.
    const tmA = taskManagers.get('TM-A1');
    const refused = tmA?.records.filter((r) => r.event === 'taskmanager.write_fenced').length ?? 0;
    t.diagnostic(
      `broker cut off host A: partitions ${onHostA.join(', ')} taken over in ${cutMs} ms; ${refused} late writes refused`,
    );

    await input;
    await eventually('every record applied', async () => ((await counter()) >= total ? true : undefined), {
      timeoutMs: 90_000,
    });
    const verdict = await verifyIds(activeRedis, counterKey, total);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    assert.equal(await counter(), total);
    execFileSync('ip', ['-n', hostA.namespace, 'route', 'del', 'blackhole', `${kafkaAddress}/32`]);
    passed = true;
  });
});
