// Builds the JobSpec the JobManager hands to every TaskManager from the validated configuration.

import { randomBytes } from 'node:crypto';
import type { SluiceConfig } from '../config/sluice-config.js';
import { SAMPLE_JOB_NAME } from '../jobs/flinkdotnet-sample-job.js';
import type { JobSpec } from '../protocol/messages.js';

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export function jobSpecFromConfig(
  config: SluiceConfig,
  runId: string,
  startPositions: readonly number[] = [],
): JobSpec {
  return {
    jobName: SAMPLE_JOB_NAME,
    runId,
    topic: config.job.topic,
    partitions: config.job.partitions,
    groupId: config.job.consumerGroup,
    groupProtocol: config.runtime.groupProtocol,
    bootstrapServers: config.kafka.bootstrapServers,
    kafkaWaitTimeoutMs: config.kafka.waitTimeoutMs,
    redisUrl: config.redis.url,
    counterKey: config.job.sinkCounterKey,
    trackIds: config.job.trackIds,
    deadLetterTopic: config.job.deadLetterTopic,
    sink: config.job.sink,
    delivery: config.job.delivery,
    startPositions: [...startPositions],
    progressEvery: config.runtime.progressEvery,
    consumeBatch: config.runtime.consumeBatch,
  };
}
