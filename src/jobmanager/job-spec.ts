// The JobSpec the JobManager hands to every TaskManager: which job (name, file, build hash, raw
// parameters) and the runtime facts the run needs (topics and where the run starts them, group,
// addresses). Built from the job the JobManager loaded and planned, and the validated configuration.

import { randomBytes } from 'node:crypto';
import type { KafkaConfig, RedisConfig, RuntimeConfig } from '../config/sluice-config.js';
import type { RawParameters } from '../plan/job-parameters.js';
import { describe, type JobPlan } from '../plan/job-plan.js';
import { planStages } from '../plan/plan-view.js';
import { TaskSlots } from '../plan/task-slots.js';
import type { JobSpec } from '../protocol/messages.js';
import type { LoadedJob } from '../runtime/job-file.js';

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export interface SpecInput {
  readonly loaded: LoadedJob;
  readonly plan: JobPlan;
  readonly parameters: RawParameters;
  readonly runId: string;
  readonly groupId: string;
  /** The job's source topics in the plan's order, with their partition counts and the run's start offsets. */
  readonly sources: readonly { topic: string; partitions: number; startPositions: readonly number[] }[];
  /** The stateful steps' changelog topics, with where this run's state starts in each partition. */
  readonly changelogs?: readonly { topic: string; partitions: number; startPositions: readonly number[] }[];
  readonly deadLetterTopic: string;
}

/** The settings a JobSpec takes from the configuration. */
export interface SpecSettings {
  readonly kafka: Pick<KafkaConfig, 'bootstrapServers' | 'waitTimeoutMs'>;
  readonly redis: Pick<RedisConfig, 'url'>;
  readonly runtime: Pick<
    RuntimeConfig,
    | 'groupProtocol'
    | 'progressEvery'
    | 'consumeBatch'
    | 'checkpointIntervalMs'
    | 'checkpointTimeoutMs'
    | 'checkpointCommit'
  >;
}

export function buildJobSpec(config: SpecSettings, input: SpecInput): JobSpec {
  return {
    job: {
      name: input.plan.name,
      file: input.loaded.file,
      description: describePlan(input.plan),
      stages: planStages(input.plan),
    },
    parameters: { ...input.parameters },
    buildHash: input.loaded.buildHash,
    runId: input.runId,
    sources: input.sources.map((s) => ({ ...s, startPositions: [...s.startPositions] })),
    changelogs: (input.changelogs ?? []).map((s) => ({ ...s, startPositions: [...s.startPositions] })),
    groupId: input.groupId,
    groupProtocol: config.runtime.groupProtocol,
    bootstrapServers: config.kafka.bootstrapServers,
    kafkaWaitTimeoutMs: config.kafka.waitTimeoutMs,
    redisUrl: config.redis.url,
    deadLetterTopic: input.deadLetterTopic,
    progressEvery: config.runtime.progressEvery,
    consumeBatch: config.runtime.consumeBatch,
    checkpointTimeoutMs: config.runtime.checkpointTimeoutMs,
    checkpointCommit: config.runtime.checkpointCommit,
    commitIntervalMs: config.runtime.checkpointIntervalMs,
  };
}

/** The job's tasks, numbered. */
export function slotsOf(job: JobSpec): TaskSlots {
  return new TaskSlots(job.sources.map((s) => ({ topic: s.topic, partitions: s.partitions })));
}

/** Flink's vertex name: "Source: Kafka 'lines' -> flatMap #1 -> filter #2 -> Sink: kafka:words". */
export function describePlan(plan: JobPlan): string {
  const parts: string[] = [];
  for (const source of plan.graph.sources) {
    parts.push(`Source: Kafka ${source.topics.map((t) => `'${t}'`).join(', ')}`);
  }
  for (const node of plan.graph.nodes) if (node.kind === 'operator') parts.push(describe(node));
  parts.push(`Sink: ${plan.sinks.map((s) => s.sink.name).join(', ')}`);
  return parts.join(' -> ');
}
