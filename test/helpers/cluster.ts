// Builds a LocalCluster (a JobManager in this process, real TaskManager processes) on the test
// broker and Redis, with its own topic, group and counter key.

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import type { CheckpointingOptions } from '../../src/jobmanager/job-manager.js';
import { LocalCluster } from '../../src/jobmanager/local-cluster.js';
import { EventLog } from '../../src/logging/event-log.js';
import type { SluiceEvent } from '../../src/logging/events.js';
import { createLogger } from '../../src/logging/logger.js';
import type { JobSpec } from '../../src/protocol/messages.js';
import { projectRoot, testEnv, uniqueName } from './test-env.js';

export interface TestCluster {
  cluster: LocalCluster;
  job: JobSpec;
  events: SluiceEvent[];
  lines: string[];
  logDir: string;
}

export function testJobSpec(overrides: Partial<JobSpec> = {}): JobSpec {
  const name = uniqueName('dist');
  return {
    jobName: 'flinkdotnet-sample',
    runId: name,
    topic: name,
    partitions: 4,
    groupId: `${name}-group`,
    groupProtocol: 'consumer',
    bootstrapServers: testEnv.kafkaBootstrap,
    kafkaWaitTimeoutMs: 30_000,
    redisUrl: testEnv.redisUrl,
    counterKey: `${name}:counter`,
    trackIds: true,
    deadLetterTopic: `${name}.dlq`,
    sink: { kind: 'redis-counter' },
    delivery: 'exactly-once',
    startPositions: [0, 0, 0, 0],
    progressEvery: 1000,
    consumeBatch: 500,
    ...overrides,
  };
}

export async function startTestCluster(
  job: JobSpec,
  options: { checkpointing?: CheckpointingOptions } = {},
): Promise<TestCluster> {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: job.bootstrapServers,
    clientId: 'test-cluster-admin',
  });
  try {
    await admin.ensureTopic(job.topic, job.partitions);
  } finally {
    admin.close();
  }
  const events: SluiceEvent[] = [];
  const lines: string[] = [];
  const eventLog = new EventLog(createLogger({ format: 'json', level: 'silent' }));
  eventLog.subscribe((e) => events.push(e));
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-cluster-'));
  const cluster = new LocalCluster({
    job,
    security: { kafka: PLAINTEXT, redis: { url: job.redisUrl } },
    jobManagerPort: 0,
    taskManagerCommand: [process.execPath, path.join(projectRoot, 'bin', 'sluice.js'), 'taskmanager'],
    logDir,
    events: eventLog,
    forwardLine: (line) => lines.push(line),
    ...(options.checkpointing ? { checkpointing: options.checkpointing } : {}),
  });
  await cluster.start();
  return { cluster, job, events, lines, logDir };
}

/** The TaskManagers' own log records (JSON), parsed. */
export function records(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
