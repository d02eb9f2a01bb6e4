// Builds a LocalCluster (a JobManager in this process, real TaskManager processes) on the test
// broker and Redis, running the seed's job file with its own topic, group and counter key.

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import type { CheckpointingOptions } from '../../src/jobmanager/job-manager.js';
import type { SpecSettings } from '../../src/jobmanager/job-spec.js';
import { LocalCluster } from '../../src/jobmanager/local-cluster.js';
import { EventLog } from '../../src/logging/event-log.js';
import type { SluiceEvent } from '../../src/logging/events.js';
import { createLogger } from '../../src/logging/logger.js';
import type { JobSpec } from '../../src/protocol/messages.js';
import { buildHash } from '../../src/runtime/job-file.js';
import { projectRoot, testEnv, uniqueName } from './test-env.js';

/** The seed's job file, compiled (jobs/flinkdotnet-sample.ts). */
export const seedJobFile = path.join(projectRoot, 'dist', 'jobs', 'flinkdotnet-sample.js');

/** The settings a JobSpec takes, for the test's broker and Redis. */
export function testSpecSettings(): SpecSettings {
  return {
    kafka: { bootstrapServers: testEnv.kafkaBootstrap, waitTimeoutMs: 30_000 },
    redis: { url: testEnv.redisUrl },
    runtime: {
      groupProtocol: 'consumer',
      progressEvery: 1_000_000,
      consumeBatch: 100,
      checkpointTimeoutMs: 5000,
      checkpointCommit: 'aligned',
      checkpointIntervalMs: 1000,
    },
  };
}

export interface TestJob {
  spec: JobSpec;
  topic: string;
  partitions: number;
  groupId: string;
  counterKey: string;
}

export interface TestJobOptions {
  partitions?: number;
  groupProtocol?: JobSpec['groupProtocol'];
  /** The seed job's parameters (its sink, id tracking, ...) on top of the topic and counter. */
  parameters?: Record<string, string>;
}

/** A JobSpec of the seed's job on a topic, group and counter of its own. */
export function testJobSpec(options: TestJobOptions = {}): TestJob {
  const name = uniqueName('dist');
  const partitions = options.partitions ?? 4;
  const counterKey = `${name}:counter`;
  const spec: JobSpec = {
    job: { name: 'flinkdotnet-sample', file: seedJobFile, description: 'the seed job' },
    parameters: { topic: name, counterKey, ...options.parameters },
    buildHash: buildHash(seedJobFile).hash,
    runId: name,
    sources: [{ topic: name, partitions, startPositions: Array.from({ length: partitions }, () => 0) }],
    groupId: `${name}-group`,
    groupProtocol: options.groupProtocol ?? 'consumer',
    bootstrapServers: testEnv.kafkaBootstrap,
    kafkaWaitTimeoutMs: 30_000,
    redisUrl: testEnv.redisUrl,
    deadLetterTopic: `${name}.dlq`,
    progressEvery: 1000,
    consumeBatch: 500,
    checkpointTimeoutMs: 10_000,
  };
  return { spec, topic: name, partitions, groupId: spec.groupId, counterKey };
}

export interface TestCluster {
  cluster: LocalCluster;
  job: JobSpec;
  events: SluiceEvent[];
  lines: string[];
  logDir: string;
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
    for (const source of job.sources) await admin.ensureTopic(source.topic, source.partitions);
    await admin.createTopic(job.deadLetterTopic, 1);
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
