// Per-task commits (SLUICE_CHECKPOINT_COMMIT=per-task) need no JobManager: each task commits its
// Kafka transaction on its own clock, as Kafka Streams' tasks do. The JobManager service is killed
// (-9) a third of the way through the input and not started again; its two TaskManagers (separate
// processes, as on other hosts) keep processing within their reconnect grace, and an independent
// read_committed reader of the output topic sees every id exactly once. (With the default, aligned,
// a transaction commits only once a checkpoint completed, which takes the JobManager.)

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { findFreePort } from '../../src/infra/ports.js';
import { readCommitted } from '../helpers/committed-reader.js';
import { produceIds } from '../helpers/id-producer.js';
import { startSluice, stopAllSluice } from '../helpers/sluice-process.js';
import { testEnv, uniqueName } from '../helpers/test-env.js';

describe('per-task commits', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ptc-'));
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'per-task-commits-test',
  });
  const topics: string[] = [];
  after(async () => {
    await stopAllSluice();
    for (const topic of topics) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('keep a Kafka sink exactly once with the JobManager gone: every id visible once, read_committed', async () => {
    const name = uniqueName('ptc');
    const output = `${name}-out`;
    topics.push(name, output, `${name}.dlq`);
    await admin.ensureTopic(output, 4);
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      SIMULATOR_KAFKA_TOPIC: name,
      SIMULATOR_KAFKA_CONSUMER_GROUP: `${name}-group`,
      SLUICE_KAFKA_BOOTSTRAP: testEnv.kafkaBootstrap,
      SLUICE_REDIS_URL: testEnv.redisUrl,
      SLUICE_SINK: `kafka:${output}`,
      SLUICE_CHECKPOINT_COMMIT: 'per-task',
      SLUICE_CHECKPOINT_INTERVAL: '300ms',
      SLUICE_STATE_DIR: stateDir,
    };
    const jobManager = startSluice('jobmanager', ['jobmanager', '--jobmanager-port', String(port)], {
      env,
      logFile: path.join(stateDir, 'jobmanager.log'),
    });
    const created = await jobManager.waitForEvent('jobmanager.job_created');
    // The JobManager shows the mode (Flink's checkpoint config endpoint, with Sluice's commit field).
    const config = await fetch(`${url}/jobs/${String(created.runId)}/checkpoints/config`, {
      signal: AbortSignal.timeout(10_000),
    }).then((r) => r.json());
    assert.deepEqual(config, {
      mode: 'exactly_once',
      commit: 'per-task',
      interval: 300,
      timeout: 10_000,
      commit_interval: 300,
    });
    const taskManagers = ['TM-P1', 'TM-P2'].map((id) =>
      startSluice(id, ['taskmanager', '--id', id, '--jobmanager', url], {
        env,
        logFile: path.join(stateDir, `${id}.log`),
      }),
    );
    for (const tm of taskManagers) {
      const ready = await tm.waitForEvent('taskmanager.ready');
      assert.equal(ready.checkpointCommit, 'per-task');
      await tm.waitForEvent('taskmanager.partitions_assigned');
    }
    const total = 6000;
    const input = produceIds({
      bootstrapServers: testEnv.kafkaBootstrap,
      topic: name,
      partitions: 4,
      from: 1,
      to: total,
      perSecond: 1000,
    });
    // A third of the output visible, then the JobManager is gone for good.
    await readCommitted(output, 2000, 60_000);
    jobManager.child.kill('SIGKILL');
    await jobManager.exited;
    await input;
    // Everything after the kill, too, became visible: only the tasks' own commits can have done it.
    const records = await readCommitted(output, total, 60_000);
    const ids = records.map((m) => Number(String(m.key)));
    const seen = new Set(ids);
    const missing = Array.from({ length: total }, (_, i) => i + 1).filter((id) => !seen.has(id));
    assert.deepEqual(missing.slice(0, 20), [], `${missing.length} ids not visible`);
    assert.equal(ids.length, total, `${ids.length - seen.size} ids visible twice`);
    for (const tm of taskManagers) {
      await tm.waitForEvent('taskmanager.jobmanager_disconnected');
      assert.equal(tm.isRunning(), true, `${tm.name} keeps running without its JobManager`);
    }
    for (const tm of taskManagers) await tm.stop();
  });
});
