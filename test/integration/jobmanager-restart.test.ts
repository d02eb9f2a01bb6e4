// A JobManager restart does not stop the data flow: the JobManager service is killed (-9) while
// input keeps arriving; its TaskManagers (separate processes, as on other hosts) keep applying it,
// register with the restarted JobManager, which attaches to the same run, rebuilds its registry from
// them and continues the checkpoint numbering from the store. Every id ends up applied exactly once.
// Killed twice: at a moment of the test's choosing, and at the worst one (SLUICE_FAIL_POINT): right
// after storing a checkpoint and before announcing it, so the store has a checkpoint that no
// TaskManager committed; the group's committed offsets (the broker's view) must still end equal to
// the last completed checkpoint's positions.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { verifyIds } from '../../src/connectors/redis/id-verifier.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { findFreePort } from '../../src/infra/ports.js';
import { produceIds } from '../helpers/id-producer.js';
import { type SluiceProcess, startSluice, stopAllSluice } from '../helpers/sluice-process.js';
import { eventually, testEnv, uniqueName } from '../helpers/test-env.js';

interface RestTaskManager {
  id: string;
  state: string;
  partitions: number[];
}

async function rest<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

describe('JobManager restart', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-jmr-'));
  const redis = createRedis({ url: testEnv.redisUrl });
  after(async () => {
    await stopAllSluice();
    redis.disconnect();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const cases = [
    { title: 'keeps the data flowing while the JobManager is away, and resumes checkpoints after' },
    {
      title: 'recovers from a JobManager killed between storing checkpoint 8 and announcing it',
      failPoint: 'checkpoint-stored:8',
    },
  ];
  for (const { title, failPoint } of cases)
    it(title, async () => {
      const name = uniqueName('jmr');
      const counterKey = `${name}:counter`;
      const port = await findFreePort();
      const url = `http://127.0.0.1:${port}`;
      const env = {
        SIMULATOR_KAFKA_TOPIC: name,
        SIMULATOR_KAFKA_CONSUMER_GROUP: `${name}-group`,
        SIMULATOR_REDIS_KEY_SINK_COUNTER: counterKey,
        SLUICE_KAFKA_BOOTSTRAP: testEnv.kafkaBootstrap,
        SLUICE_REDIS_URL: testEnv.redisUrl,
        SLUICE_CHECKPOINT_INTERVAL: '300ms',
        SLUICE_STATE_DIR: stateDir,
      };
      const jobManager = (): SluiceProcess =>
        startSluice('jobmanager', ['jobmanager', '--jobmanager-port', String(port)], {
          env,
          logFile: path.join(stateDir, 'jobmanager.log'),
        });
      const first = failPoint
        ? startSluice('jobmanager', ['jobmanager', '--jobmanager-port', String(port)], {
            env: { ...env, SLUICE_FAIL_POINT: failPoint },
            logFile: path.join(stateDir, 'jobmanager-failing.log'),
          })
        : jobManager();
      const created = await first.waitForEvent('jobmanager.job_created');
      const taskManagers = ['TM-R1', 'TM-R2'].map((id) =>
        startSluice(id, ['taskmanager', '--id', id, '--jobmanager', url], {
          env,
          logFile: path.join(stateDir, `${id}.log`),
        }),
      );
      const activeTaskManagers = () =>
        eventually(
          'both TaskManagers ACTIVE with two partitions each',
          async () => {
            const { taskmanagers } = await rest<{ taskmanagers: RestTaskManager[] }>(`${url}/taskmanagers`);
            const active = taskmanagers.filter((t) => t.state === 'ACTIVE' && t.partitions.length === 2);
            return active.length === 2 ? taskmanagers : undefined;
          },
          { timeoutMs: 60_000 },
        );
      await activeTaskManagers();
      const latestCheckpoint = async () => {
        const cp = await rest<{ latest: { completed: { id: number } | null } }>(
          `${url}/jobs/${created.runId}/checkpoints`,
        );
        return cp.latest.completed?.id;
      };
      const counter = async () => Number((await redis.get(counterKey)) ?? 0);
      const total = 6000;
      const input = produceIds({
        bootstrapServers: testEnv.kafkaBootstrap,
        topic: name,
        partitions: 4,
        from: 1,
        to: total,
        perSecond: 1000,
      });
      await eventually('a third of the input applied', async () =>
        (await counter()) >= 2000 ? true : undefined,
      );
      // With the fail point the JobManager is gone by now (checkpoint 8 was stored as it died).
      const checkpointBefore = failPoint ? 8 : await eventually('a completed checkpoint', latestCheckpoint);

      if (failPoint) {
        // It dies by itself once checkpoint 8 is stored, before any TaskManager hears of it.
        const how = await first.exited;
        assert.equal(how.signal, 'SIGKILL');
        assert.match(
          first.lines.join('\n'),
          /fail point checkpoint-stored:8: checkpoint 8 stored, not announced/,
        );
      } else {
        first.child.kill('SIGKILL');
        await first.exited;
      }
      const atKill = await counter();
      // Nobody coordinates now, yet the TaskManagers keep applying the input that arrives.
      await eventually(
        '1000 more records applied while the JobManager is away',
        async () => ((await counter()) >= atKill + 1000 ? true : undefined),
        { timeoutMs: 30_000 },
      );
      for (const tm of taskManagers) {
        await tm.waitForEvent('taskmanager.jobmanager_disconnected');
        assert.equal(tm.isRunning(), true, `${tm.name} must keep running without its JobManager`);
      }

      const second = jobManager();
      const attached = await second.waitForEvent('jobmanager.job_attached');
      assert.equal(attached.runId, created.runId, 'the restarted JobManager attaches to the same run');
      for (const tm of taskManagers) await tm.waitForEvent('taskmanager.jobmanager_reconnected');
      await activeTaskManagers();
      const checkpointAfter = await eventually('a checkpoint by the restarted JobManager', async () => {
        const id = await latestCheckpoint();
        return id !== undefined && id > checkpointBefore ? id : undefined;
      });
      assert.ok(checkpointAfter > checkpointBefore);

      await input;
      await eventually('every record applied', async () => ((await counter()) >= total ? true : undefined), {
        timeoutMs: 60_000,
      });
      // The broker's view: the group's committed offsets reach a completed checkpoint's positions.
      const admin = KafkaAdmin.create({
        security: PLAINTEXT,
        bootstrapServers: testEnv.kafkaBootstrap,
        clientId: `${name}-check`,
      });
      try {
        await eventually(
          "the group's committed offsets at the last completed checkpoint, every record in",
          async () => {
            const { partitions } = await rest<{ partitions: { lastCheckpointedPosition: number | null }[] }>(
              `${url}/partitions`,
            );
            const committed = await admin.committedOffsets(`${name}-group`, name, 4);
            const positions = [0, 1, 2, 3].map((p) => committed.get(p) ?? -1);
            const checkpointed = partitions.map((p) => p.lastCheckpointedPosition ?? -2);
            const all = positions.reduce((n, p) => n + p, 0) === total;
            return all && positions.every((p, i) => p === checkpointed[i]) ? positions : undefined;
          },
          { timeoutMs: 30_000 },
        );
      } finally {
        admin.close();
      }
      const verdict = await verifyIds(redis, counterKey, total);
      assert.equal(verdict.ok, true, JSON.stringify(verdict));
      assert.equal(await counter(), total);
      await second.stop();
      for (const tm of taskManagers) await tm.stop();
      for (const tm of taskManagers) assert.equal((await tm.exited).code, 0, `${tm.name} exits cleanly`);
    });
});
