// The topics a job needs, made ready before any TaskManager starts: its source topics (their
// partition counts decide its tasks), its output topics and the dead-letter topic. On the local
// cluster Sluice manages, a missing topic is created with SLUICE_PARTITIONS partitions; on a
// cluster the user named, a missing topic is an error that names it (creating topics there is the
// owner's decision, with their partition counts and retention).

import type { KafkaAdmin } from '../connectors/kafka/admin.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { JobPlan } from '../plan/job-plan.js';

export interface TopicPolicy {
  /** True on the local cluster Sluice manages: missing topics are created. */
  readonly create: boolean;
  /** Partitions of a topic Sluice creates. */
  readonly partitions: number;
  /** Where the cluster is, for messages. */
  readonly bootstrapServers: string;
}

export interface JobTopics {
  readonly sources: readonly { topic: string; partitions: number }[];
  readonly outputs: readonly string[];
}

export async function prepareJobTopics(
  admin: KafkaAdmin,
  plan: JobPlan,
  deadLetterTopic: string,
  policy: TopicPolicy,
): Promise<JobTopics> {
  const sources: { topic: string; partitions: number }[] = [];
  for (const topic of plan.sourceTopics)
    sources.push({ topic, partitions: await ready(admin, topic, policy) });
  const outputs = plan.sinks.flatMap((s) => (s.sink.kind === 'kafka' ? [s.sink.topic] : []));
  for (const topic of new Set(outputs)) await ready(admin, topic, policy);
  // The dead-letter topic is Sluice's own: always created when missing.
  if ((await admin.partitionCount(deadLetterTopic)) === undefined)
    await admin.createTopic(deadLetterTopic, policy.partitions);
  return { sources, outputs };
}

async function ready(admin: KafkaAdmin, topic: string, policy: TopicPolicy): Promise<number> {
  const existing = await admin.partitionCount(topic);
  if (existing !== undefined) return existing;
  if (!policy.create) {
    throw new SluiceError(
      'KAFKA_TOPIC_MISSING',
      `Topic '${topic}' does not exist on ${policy.bootstrapServers}, and Sluice does not create topics on a cluster ` +
        `it does not manage. Fix: create it (e.g. kafka-topics.sh --create --topic ${topic} --partitions N), or check the job's topic names.`,
      { details: { topic } },
    );
  }
  await admin.createTopic(topic, policy.partitions);
  return policy.partitions;
}
