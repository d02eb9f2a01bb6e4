// Job code that never returns for one record (issue 14): the TaskManager's event loop stalls. The
// JobManager hears nothing from it past its heartbeat timeout (10 s) and says so; the process's
// watchdog (SLUICE_TASKMANAGER_STALL_TIMEOUT, 12 s here) names the batch it stalled in and kills it,
// so the broker moves its partitions to another process. (That one stalls on the same record in
// turn, as a Kafka Streams thread would past max.poll.interval.ms: the record itself is the bug.)

import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { findProcesses } from '../../src/infra/process-control.js';
import { clusterSuite, runArgs, sluiceRunEnv } from '../helpers/cluster-run.js';
import { startSluice } from '../helpers/sluice-process.js';
import { eventually, projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

const jobFile = path.join(projectRoot, 'dist', 'test', 'fixtures', 'endless-loop-job.js');
const PARTITIONS = 4;
/** Written to partition id % 4: id 50 is partition 2's 13th record (offset 12). */
const STUCK_ID = 50;
const TOTAL = 200;

describe('job code that never returns', { timeout: 240_000 }, () => {
  const { admin, topics, dirs } = clusterSuite('test-endless-loop');

  it('is detected: the JobManager marks the silent TaskManager, its watchdog names the batch and ends it, its partition moves', async () => {
    const name = uniqueName('loop');
    const input = `${name}-in`;
    const output = `${name}-out`;
    topics.push(input, output, `${input}.dlq`);
    await admin.createTopic(input, PARTITIONS);
    await admin.createTopic(output, PARTITIONS);
    const stateDir = path.join(os.tmpdir(), `${name}-state`);
    dirs.push(stateDir);
    const job = startSluice(
      'sluice run',
      runArgs(jobFile, {
        taskManagers: 2,
        group: `${name}-group`,
        params: { input, output, stuckId: String(STUCK_ID) },
        more: ['--start-from', 'earliest'],
      }),
      { env: { ...sluiceRunEnv(stateDir), SLUICE_TASKMANAGER_STALL_TIMEOUT: '12s' } },
    );
    try {
      await job.waitForEvent('taskmanager.partitions_assigned', undefined, 90_000);
      const producer = await KafkaProducer.connect({
        security: PLAINTEXT,
        bootstrapServers: testEnv.kafkaBootstrap,
        clientId: `${name}-input`,
      });
      try {
        for (let id = 1; id <= TOTAL; id++)
          await producer.send(input, id % PARTITIONS, Buffer.from(JSON.stringify({ id })), String(id));
        await producer.flush();
      } finally {
        await producer.close();
      }

      const silent = await job.waitForEvent('jobmanager.taskmanager_unresponsive', undefined, 60_000);
      const stalled = await job.waitForEvent(
        'taskmanager.loop_stalled',
        (r) => r.taskManagerId === silent.taskManagerId,
        30_000,
      );
      const batch = stalled.batch as { task: number; firstOffset: number; lastOffset: number };
      assert.equal(batch.task, STUCK_ID % PARTITIONS, 'the batch named is the stuck record partition');
      const offset = Math.floor(STUCK_ID / PARTITIONS) - (STUCK_ID % PARTITIONS === 0 ? 1 : 0);
      assert.ok(batch.firstOffset <= offset && offset <= batch.lastOffset, JSON.stringify(batch));
      // Its partition moves: the broker gives it to another process once this one is gone.
      const moved = await job.waitForEvent(
        'taskmanager.partitions_assigned',
        (r) =>
          Number(r.time) > Number(stalled.time) &&
          r.pid !== stalled.pid &&
          (r.partitions as number[]).includes(STUCK_ID % PARTITIONS),
        60_000,
      );
      assert.notEqual(moved.pid, stalled.pid);
    } finally {
      await job.stop();
    }
    // Stopping the job ends its TaskManagers, the stuck one too.
    await eventually('no TaskManager of the job left', () =>
      findProcesses(jobFile).length === 0 ? true : undefined,
    );
  });
});
