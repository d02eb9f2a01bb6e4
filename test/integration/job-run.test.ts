// The main job end to end, both of the seed's modes: N messages in, exactly N counted in Redis by
// 5 TaskManager processes, 4 of them ACTIVE, with no rebalancing while the job runs.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import type { RawSettings } from '../../src/config/settings.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { EventLog } from '../../src/logging/event-log.js';
import type { SluiceEvent } from '../../src/logging/events.js';
import { createLogger } from '../../src/logging/logger.js';
import { runJob } from '../../src/runs/seed-run.js';
import { seedJobFile } from '../helpers/cluster.js';
import { projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

const N = 50_000;

function settings(values: Record<string, string>): RawSettings {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, source: 'env' }]));
}

describe('the main job, end to end', { timeout: 300_000 }, () => {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-job-run',
  });
  const topics: string[] = [];
  after(async () => {
    for (const topic of topics) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  });

  for (const kafkaSource of [true, false]) {
    it(`counts exactly ${N} messages (${kafkaSource ? 'Kafka' : 'Redis'} mode, 5 TaskManagers)`, async () => {
      const name = uniqueName(kafkaSource ? 'job-kafka' : 'job-redis');
      topics.push(name);
      const config = loadConfig(
        settings({
          topic: name,
          consumerGroup: `${name}-group`,
          sinkCounterKey: `${name}:counter`,
          globalSequenceKey: `${name}:sequence`,
          numMessages: String(N),
          useKafkaSource: String(kafkaSource),
          ci: 'true',
          kafkaBootstrap: testEnv.kafkaBootstrap,
          redisUrl: testEnv.redisUrl,
          jobManagerPort: '0',
          jobTimeoutMs: '120s',
        }),
        { projectRoot },
      );
      const seen: SluiceEvent[] = [];
      const events = new EventLog(createLogger({ format: 'json', level: 'silent' }));
      events.subscribe((e) => seen.push(e));
      const tmLines: string[] = [];
      const result = await runJob({
        jobFile: seedJobFile,
        config,
        events,
        forwardLine: (line) => tmLines.push(line),
        taskManagerCommand: [process.execPath, path.join(projectRoot, 'bin', 'sluice.js'), 'taskmanager'],
        runsDir: mkdtempSync(path.join(os.tmpdir(), 'sluice-runs-')),
      });

      assert.deepEqual(result.failures, []);
      assert.equal(result.counter, N);
      assert.equal(result.verified, true);
      assert.equal(result.mode, kafkaSource ? 'kafka' : 'redis');
      assert.equal(result.snapshot.length, 5);
      const active = result.snapshot.filter((t) => t.status === 'ACTIVE');
      assert.equal(active.length, 4);
      assert.equal(
        active.reduce((sum, t) => sum + t.consumed, 0),
        N,
        'the ACTIVE TaskManagers consumed N together',
      );
      assert.deepEqual(result.rebalancesDuringRun, [], 'no rebalancing during a run without faults');
      assert.equal(result.ids?.ok, true, 'every id applied exactly once');
      assert.equal(result.ids?.distinct, N);
      // Offsets follow checkpoints: what the group committed is the final checkpoint, at the topic end.
      assert.ok(result.finalCheckpoint);
      for (const task of result.finalCheckpoint.tasks)
        assert.equal(result.committedOffsets?.[task.partition], task.position);
      assert.ok(seen.some((e) => e.type === 'job.completed'));
      const monitorLines = seen.filter((e) => e.type === 'job.monitor');
      assert.ok(monitorLines.length >= 1);
      // Every TaskManager says how much it consumed when it stops.
      const completed = tmLines.filter((l) => l.includes('"event":"taskmanager.source_completed"'));
      assert.equal(completed.length, 5);

      // The sink's positions moved exactly to the topic's end: nothing left, nothing read twice.
      const ends = await admin.endOffsets(name, 4);
      const { createRedis } = await import('../../src/connectors/redis/redis-client.js');
      const { readGuardPositions } = await import('../../src/connectors/redis/redis-sink.js');
      const { counterKeys } = await import('../../src/connectors/redis/counter-keys.js');
      const redis = createRedis({ url: testEnv.redisUrl });
      await redis.connect();
      try {
        assert.deepEqual(await readGuardPositions(redis, counterKeys(`${name}:counter`), name), ends);
        if (!kafkaSource)
          assert.equal(
            Number(await redis.get(`${name}:sequence`)) >= N,
            true,
            'ids came from the Redis sequence',
          );
      } finally {
        redis.disconnect();
      }
    });
  }
});
