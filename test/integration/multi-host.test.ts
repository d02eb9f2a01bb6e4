// TaskManagers on several hosts in one consumer group: four network namespaces (Kafka and Redis,
// the JobManager, two TaskManager hosts) joined by veth pairs. One TaskManager host is cut off
// (link down): its partitions move to the other host within the session timeout; it comes back
// and rejoins; then one TaskManager is killed (-9) for comparison. Every id is applied exactly once.
// The JobManager listens beyond loopback, so its TaskManagers prove a shared secret; an intruder on
// one of the hosts, which does not hold it, is refused (issue 14).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { verifyIds } from '../../src/connectors/redis/id-verifier.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { guardTakeover } from '../helpers/guard-takeover.js';
import { produceIds } from '../helpers/id-producer.js';
import { infraIn, keepLogs, startNamespacedCluster } from '../helpers/namespaced-cluster.js';
import { startSluice, stopAllSluice } from '../helpers/sluice-process.js';
import { eventually, projectRoot } from '../helpers/test-env.js';
import { networkNamespacesUnavailable, TestNetwork } from '../helpers/test-network.js';

interface RestTaskManager {
  id: string;
  host: string;
  address: string | null;
  state: string;
  partitions: number[];
}

const PARTITIONS = 4;

describe('TaskManagers on several hosts', () => {
  const unavailable = networkNamespacesUnavailable();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-hosts-'));
  let network: TestNetwork | undefined;
  let stopInfra: (() => void) | undefined;
  let redis: ReturnType<typeof createRedis> | undefined;
  let passed = false;
  after(async () => {
    await stopAllSluice();
    redis?.disconnect();
    stopInfra?.();
    network?.destroy();
    // A failed run keeps the processes' logs (it has failed now and then: read why next time).
    if (!passed) keepLogs(stateDir, 'multi-host');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('share the partitions; a host cut off hands its partitions to the other host; exact result', async (t) => {
    if (unavailable) {
      t.skip(`network namespaces cannot be made here: ${unavailable}`);
      return;
    }
    const net = TestNetwork.create(['infra', 'jobmanager', 'host-a', 'host-b']);
    network = net;
    const infra = net.host('infra');
    stopInfra = infraIn(infra, path.join(stateDir, 'infra'));
    const bootstrap = `${infra.address}:9092`;
    const redisUrl = `redis://${infra.address}:6379`;
    const cluster = startNamespacedCluster({
      net,
      stateDir,
      bootstrap,
      redisUrl,
      prefix: 'hosts',
      taskManagers: [
        ['TM-A1', 'host-a'],
        ['TM-A2', 'host-a'],
        ['TM-B1', 'host-b'],
        ['TM-B2', 'host-b'],
      ],
    });
    const { name, counterKey, jobManagerUrl, env, connection, taskManagers } = cluster;
    const jobManagerProcess = cluster.jobManager;
    const registry = async () =>
      (
        (await (await fetch(`${jobManagerUrl}/taskmanagers`)).json()) as {
          taskmanagers: RestTaskManager[];
        }
      ).taskmanagers;
    /** Every partition owned once by a connected TaskManager among `ids`, loads differing by one at most. */
    let lastSeen: RestTaskManager[] = [];
    const distributedOver = (ids: string[]) =>
      eventually(
        `the partitions spread over ${ids.join(', ')}`,
        async () => {
          lastSeen = await registry();
          const live = lastSeen.filter((tm) => ids.includes(tm.id));
          if (live.length !== ids.length || !live.every((tm) => tm.state === 'ACTIVE' || tm.state === 'IDLE'))
            return undefined;
          const owned = live.flatMap((tm) => tm.partitions).sort();
          if (owned.join() !== '0,1,2,3') return undefined;
          const loads = live.map((tm) => tm.partitions.length);
          return Math.max(...loads) - Math.min(...loads) <= 1 ? live : undefined;
        },
        { timeoutMs: 90_000 },
      ).catch((error: unknown) => {
        throw new Error(
          `${String(error)}; the registry last said ${JSON.stringify(lastSeen.map(({ id, state, partitions }) => ({ id, state, partitions })))}`,
        );
      });

    const all = [...taskManagers.keys()];
    const spread = await distributedOver(all);
    assert.deepEqual(
      [...new Set(spread.map((tm) => `${tm.id.startsWith('TM-A') ? 'host-a' : 'host-b'}=${tm.host}`))].sort(),
      ['host-a=host-a', 'host-b=host-b'],
      'the registry shows the host each TaskManager runs on',
    );
    assert.equal(spread.find((tm) => tm.id === 'TM-B1')?.address, net.host('host-b').address);

    // An intruder on host B, without the secret: refused, never told the job.
    const rogueArgv = net
      .host('host-b')
      .wrap([
        process.execPath,
        path.join(projectRoot, 'dist', 'test', 'fixtures', 'rogue-taskmanager.js'),
        jobManagerUrl,
        '--seconds',
        '5',
      ]);
    const rogueOutput = execFileSync(rogueArgv[0] ?? 'ip', rogueArgv.slice(1), {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const rogue = JSON.parse(rogueOutput.trim().split('\n').at(-1) ?? '{}') as {
      registered?: boolean;
      refused?: string;
    };
    assert.equal(rogue.registered, false, rogueOutput);
    assert.match(rogue.refused ?? '', /SLUICE_CLUSTER_SECRET_FILE/);
    const refusal = await jobManagerProcess.waitForEvent('jobmanager.taskmanager_refused', undefined, 10_000);
    assert.deepEqual([refusal.taskManagerId, refusal.address], ['TM-ROGUE', net.host('host-b').address]);

    // Ids are unique across hosts: a second TM-B1, on host A, is refused with a clear error.
    const duplicate = startSluice(
      'TM-B1 (duplicate)',
      ['taskmanager', '--id', 'TM-B1', '--jobmanager', jobManagerUrl, ...connection],
      {
        env,
        wrap: net.host('host-a').wrap,
      },
    );
    const refused = await duplicate.exited;
    assert.equal(refused.code, 2, duplicate.lines.join('\n'));
    assert.ok(
      duplicate.lines.some((l) =>
        /JOBMANAGER_REJECTED.*id TM-B1 is already registered by pid \d+ on host-b; give each TaskManager its own --id/.test(
          l,
        ),
      ),
      duplicate.lines.join('\n'),
    );
    assert.equal(
      (await registry()).find((tm) => tm.id === 'TM-B1')?.host,
      'host-b',
      'the first TM-B1 keeps its id',
    );

    redis = createRedis({ url: redisUrl });
    await redis.connect();
    const activeRedis = redis;
    const counter = async () => Number((await activeRedis.get(counterKey)) ?? 0);
    const total = 24_000;
    const input = produceIds({
      bootstrapServers: bootstrap,
      topic: name,
      partitions: PARTITIONS,
      from: 1,
      to: total,
      perSecond: 600,
    });
    input.catch(() => {});
    await eventually('input flowing through every TaskManager', async () =>
      (await counter()) >= 3000 ? true : undefined,
    );

    const takeover = (partitions: number[], act: () => void) =>
      guardTakeover(activeRedis, counterKey, name, partitions, act);

    // 1. Cut host A off: its partitions move to host B's TaskManagers.
    const onHostA = spread.filter((tm) => tm.id.startsWith('TM-A')).flatMap((tm) => tm.partitions);
    const cutMs = await takeover(onHostA, () => net.cut('host-a'));
    await distributedOver(['TM-B1', 'TM-B2']);
    // The JobManager notices the silence (its heartbeat timeout) while the host is away.
    await eventually(
      "host A's TaskManagers marked DISCONNECTED",
      async () =>
        (await registry()).filter((tm) => tm.id.startsWith('TM-A') && tm.state === 'DISCONNECTED').length ===
        2
          ? true
          : undefined,
      { timeoutMs: 30_000 },
    );

    // The dashboard shows where each TaskManager runs, and the cut-off host's as DISCONNECTED.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`${jobManagerUrl}/`);
      await page.waitForFunction(
        "document.querySelectorAll('.tm.DISCONNECTED').length === 2 && document.querySelectorAll('.tm.ACTIVE').length === 2",
        undefined,
        { timeout: 15_000 },
      );
      for (const [id, hostName] of [
        ['TM-A1', 'host-a'],
        ['TM-B1', 'host-b'],
      ] as const) {
        const shown = await page.locator(`[data-tm="${id}"] .host`).textContent();
        assert.equal(shown, `${hostName} · ${net.host(hostName).address}`, `${id}'s host on the page`);
      }
      assert.match((await page.locator('#counts').textContent()) ?? '', /2 DISCONNECTED · 1 host$/);
      await page.screenshot({ path: screenshotPath('dashboard-multi-host.png'), fullPage: true });
    } finally {
      await browser.close();
    }

    // 2. Bring it back: its TaskManagers register again and rejoin the group.
    net.restore('host-a');
    for (const id of ['TM-A1', 'TM-A2'])
      await taskManagers.get(id)?.waitForEvent('taskmanager.jobmanager_reconnected', undefined, 60_000);
    const again = await distributedOver(all);

    // 3. For comparison: kill -9 one TaskManager of host B.
    const victim = again.find((tm) => tm.id.startsWith('TM-B') && tm.partitions.length > 0);
    assert.ok(victim, 'a TaskManager of host B owns partitions');
    const victimProcess = taskManagers.get(victim.id);
    const killMs = await takeover(victim.partitions, () => victimProcess?.child.kill('SIGKILL'));
    t.diagnostic(
      `takeover: host cut off ${cutMs} ms (partitions ${onHostA.join(', ')}), kill -9 of ${victim.id} ${killMs} ms (partitions ${victim.partitions.join(', ')})`,
    );

    await input;
    await eventually('every record applied', async () => ((await counter()) >= total ? true : undefined), {
      timeoutMs: 90_000,
    });
    const verdict = await verifyIds(activeRedis, counterKey, total);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    assert.equal(await counter(), total);
    passed = true;
  });
});
