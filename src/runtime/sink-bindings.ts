// The connectors behind a job's sinks, for one TaskManager: one transactional Kafka connector for
// all of the job's output topics (one producer per task, so a task's outputs and its source
// offsets commit together), one guarded Redis connector per Redis sink, and the user's sinks.

import type { KafkaSink } from '../api/sinks.js';
import type { KafkaSecurity, RedisConfig } from '../config/sluice-config.js';
import { KafkaSinkConnector } from '../connectors/kafka/kafka-sink-connector.js';
import type { KafkaConsumer } from '../connectors/kafka/rdkafka.js';
import type { TransactionalSessionFactory } from '../connectors/kafka/transactional-producer.js';
import { RedisSinkConnector } from '../connectors/redis/redis-sink.js';
import type { SinkConnector } from '../connectors/sink-connector.js';
import type { JobPlan } from '../plan/job-plan.js';
import { UserSinkConnector } from './user-sink-connector.js';

export interface SinkBindingContext {
  readonly jobName: string;
  readonly taskManagerId: string;
  readonly groupId: string;
  readonly runId: string;
  readonly redis: RedisConfig;
  readonly kafka: { readonly bootstrapServers: string; readonly security: KafkaSecurity };
  /** The TaskManager's consumer (made after the connectors; used once tasks run). */
  readonly consumer: () => KafkaConsumer;
  /** Tests wrap Kafka's transactional producers to inject failures. */
  readonly kafkaSessions?: TransactionalSessionFactory;
  /** A Kafka connector even without Kafka sinks: it carries the changelog of stateful tasks. */
  readonly kafkaAlways?: boolean;
}

export function bindSinks(plan: JobPlan, context: SinkBindingContext): SinkConnector[] {
  const connectors: SinkConnector[] = [];
  const kafka = new Map<number, KafkaSink<unknown>>();
  plan.sinks.forEach((node, index) => {
    const sink = node.sink;
    switch (sink.kind) {
      case 'kafka':
        kafka.set(index, sink);
        break;
      case 'redis-counter':
      case 'redis-write':
        connectors.push(
          new RedisSinkConnector(sink, index, {
            redis: context.redis,
            groupId: context.groupId,
            clientName: `sluice-sink-${context.taskManagerId}`,
          }),
        );
        break;
      case 'user':
        connectors.push(new UserSinkConnector(sink, index, context));
        break;
    }
  });
  if (kafka.size > 0 || context.kafkaAlways) {
    connectors.push(
      new KafkaSinkConnector(kafka, {
        kafka: context.kafka,
        groupId: context.groupId,
        runId: context.runId,
        taskManagerId: context.taskManagerId,
        consumer: context.consumer,
        ...(context.kafkaSessions ? { sessions: context.kafkaSessions } : {}),
      }),
    );
  }
  return connectors;
}
