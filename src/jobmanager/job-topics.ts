// The topics a job needs, made ready before any TaskManager starts: its source topics (their
// partition counts decide its tasks), its output topics and the dead-letter topic. On the local
// cluster Sluice manages, a missing topic is created with SLUICE_PARTITIONS partitions; on a
// cluster the user named, a missing topic is an error that names it (creating topics there is the
// owner's decision, with their partition counts and retention). Internal topics are Sluice's own
// and always created, as Kafka Streams does: a repartition topic per keyBy that repartitions (as
// many partitions as its upstream stage's widest input) and a compacted changelog per stateful step
// (one partition per task of its stage).

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
  /** Every topic the job's group reads, in slot order: the sources, then the repartition topics. */
  readonly sources: readonly { topic: string; partitions: number; internal: boolean }[];
  readonly outputs: readonly string[];
  readonly changelogs: readonly { topic: string; partitions: number }[];
}

export async function prepareJobTopics(
  admin: KafkaAdmin,
  plan: JobPlan,
  deadLetterTopic: string,
  policy: TopicPolicy,
): Promise<JobTopics> {
  const sources: { topic: string; partitions: number; internal: boolean }[] = [];
  for (const topic of plan.sourceTopics) {
    const expected = plan.expectedPartitions.get(topic);
    const partitions = await ready(admin, topic, policy, expected);
    if (expected !== undefined && partitions !== expected)
      throw new SluiceError(
        'KAFKA_TOPIC_PARTITION_MISMATCH',
        `Topic '${topic}' has ${partitions} partitions, but job '${plan.name}' was written for ${expected} ` +
          `(fromKafka(..., { partitions: ${expected} })): it would run ${partitions} tasks with its keys spread ` +
          `differently. Nothing was started. Fix: read a topic with ${expected} partitions, or change the job's ` +
          `partitions to ${partitions} if it is meant to run that wide.`,
        { details: { topic, existing: partitions, wanted: expected } },
      );
    sources.push({ topic, partitions, internal: false });
  }
  const countOf = (topic: string) => sources.find((s) => s.topic === topic)?.partitions ?? 0;
  const tasksOf = (stage: number) => (plan.stages[stage]?.topics ?? []).reduce((n, t) => n + countOf(t), 0);
  for (const r of plan.repartitions) {
    const widest = Math.max(...(plan.stages[r.fromStage]?.topics ?? []).map(countOf));
    const partitions = (await admin.partitionCount(r.topic)) ?? (await create(admin, r.topic, widest));
    sources.push({ topic: r.topic, partitions, internal: true });
  }
  const changelogs: { topic: string; partitions: number }[] = [];
  for (const stage of plan.stages) {
    const tasks = tasksOf(stage.id);
    for (const step of stage.steps) {
      const existing = await admin.partitionCount(step.changelog);
      if (existing === undefined) await create(admin, step.changelog, tasks, 'compact');
      else if (existing !== tasks) {
        throw new SluiceError(
          'KAFKA_TOPIC_PARTITION_MISMATCH',
          `The changelog '${step.changelog}' of step '${step.name}' has ${existing} partitions, but its stage has ${tasks} tasks ` +
            '(its input partitions changed). Its state cannot be routed to the new tasks. Fix: delete the changelog topic ' +
            '(the step starts from empty state) or give the step a new name.',
          { details: { topic: step.changelog, existing, wanted: tasks } },
        );
      }
      changelogs.push({ topic: step.changelog, partitions: tasks });
    }
  }
  const internal = new Set(plan.repartitions.map((r) => r.topic));
  const outputs = plan.sinks.flatMap((s) =>
    s.sink.kind === 'kafka' && !internal.has(s.sink.topic) ? [s.sink.topic] : [],
  );
  for (const topic of new Set(outputs)) await ready(admin, topic, policy);
  // The dead-letter topic is Sluice's own: always created when missing.
  if ((await admin.partitionCount(deadLetterTopic)) === undefined)
    await admin.createDeadLetterTopic(deadLetterTopic, policy.partitions);
  return { sources, outputs, changelogs };
}

async function create(
  admin: KafkaAdmin,
  topic: string,
  partitions: number,
  policy?: 'compact',
): Promise<number> {
  await admin.createTopic(topic, partitions, policy ? { 'cleanup.policy': policy } : undefined);
  return partitions;
}

async function ready(
  admin: KafkaAdmin,
  topic: string,
  policy: TopicPolicy,
  partitions = policy.partitions,
): Promise<number> {
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
  await admin.createTopic(topic, partitions);
  return partitions;
}
