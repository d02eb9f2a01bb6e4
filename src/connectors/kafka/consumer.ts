// Builds low-level librdkafka consumers for Sluice's consumer groups: auto-commit off (positions
// live in checkpoints), and either the KIP-848 `consumer` protocol (server-side assignment) or the
// classic protocol with the cooperative-sticky assignor. Both rebalance incrementally.

import { SluiceError } from '../../errors/sluice-error.js';
import { kafkaAuthError, RefusalWatch } from './auth-failure.js';
import {
  baseClientConfig,
  describeKafkaError,
  type KafkaClientOptions,
  printClientLog,
} from './client-config.js';
import { type ConsumerGlobalConfig, KafkaConsumer, type TopicPartition } from './rdkafka.js';

export type GroupProtocol = 'consumer' | 'classic';

export interface ConsumerOptions extends KafkaClientOptions {
  groupId: string;
  groupProtocol: GroupProtocol;
  /**
   * Called on every assignment change; Sluice's default is the plain incremental assign/unassign.
   * The TaskManager replaces it to finish a task's work before its partition is released.
   */
  rebalance?: (consumer: KafkaConsumer, change: RebalanceChange) => void;
  extra?: ConsumerGlobalConfig;
  connectTimeoutMs?: number;
}

export interface RebalanceChange {
  kind: 'assign' | 'revoke';
  partitions: TopicPartition[];
  /** For a revoke: true when the partitions were lost (session expired, fenced), not handed over. */
  lost: boolean;
}

/** librdkafka's ERR__ASSIGN_PARTITIONS / ERR__REVOKE_PARTITIONS. */
const ASSIGN_PARTITIONS = -175;
const REVOKE_PARTITIONS = -174;

export function consumerConfig(
  options: ConsumerOptions,
  onRebalance: NonNullable<ConsumerGlobalConfig['rebalance_cb']>,
) {
  const protocol: ConsumerGlobalConfig =
    options.groupProtocol === 'consumer'
      ? // KIP-848: the broker owns session timeout, heartbeat and the (sticky) `uniform` assignor.
        { 'group.protocol': 'consumer', 'group.remote.assignor': 'uniform' }
      : {
          'group.protocol': 'classic',
          'partition.assignment.strategy': 'cooperative-sticky',
          // Bounded below by the broker's group.min.session.timeout.ms (lowered in server.properties).
          'session.timeout.ms': 6000,
          'heartbeat.interval.ms': 1000,
        };
  const config: ConsumerGlobalConfig = {
    ...baseClientConfig(options),
    'group.id': options.groupId,
    ...protocol,
    // Offsets move only with completed checkpoints: never let librdkafka commit or store them.
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'enable.partition.eof': false,
    rebalance_cb: onRebalance,
    ...options.extra,
  };
  return config;
}

export function defaultRebalance(consumer: KafkaConsumer, change: RebalanceChange): void {
  if (change.kind === 'assign') consumer.incrementalAssign(change.partitions);
  else consumer.incrementalUnassign(change.partitions);
}

export async function connectConsumer(options: ConsumerOptions): Promise<KafkaConsumer> {
  const handler = options.rebalance ?? defaultRebalance;
  let consumer: KafkaConsumer | undefined;
  const onRebalance = (err: { code: number } | undefined, assignment: TopicPartition[]) => {
    if (!consumer || !err) return;
    if (err.code === ASSIGN_PARTITIONS)
      handler(consumer, { kind: 'assign', partitions: assignment, lost: false });
    else if (err.code === REVOKE_PARTITIONS)
      handler(consumer, { kind: 'revoke', partitions: assignment, lost: consumer.assignmentLost() });
  };
  // A group with no committed offset starts from the beginning: nothing produced before start is skipped.
  consumer = new KafkaConsumer(consumerConfig(options, onRebalance), { 'auto.offset.reset': 'earliest' });
  const refusals = new RefusalWatch();
  consumer.on('event.log', refusals.listen);
  printClientLog(consumer, options);
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: options.connectTimeoutMs ?? 10_000 }, (err) =>
      err ? reject(err) : resolve(),
    ),
  ).catch((error: unknown) => {
    if (refusals.last) throw kafkaAuthError(options.bootstrapServers, options.security, refusals.last, error);
    throw new SluiceError(
      'KAFKA_CONSUME_FAILED',
      `Could not connect consumer '${options.clientId}' of group '${options.groupId}' to ${options.bootstrapServers}: ` +
        `${describeKafkaError(error)}. Check that the broker is up (\`npx sluice infra status\`).`,
      { cause: error },
    );
  });
  return consumer;
}

/**
 * Leaves the group and closes the consumer. The consumer's disconnect takes only a callback (its
 * typings also offer a timeout form that the runtime would mistake for the callback).
 */
export async function disconnectConsumer(consumer: KafkaConsumer, timeoutMs = 10_000): Promise<void> {
  if (!consumer.isConnected()) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => consumer.disconnect(() => resolve())),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

export function describeConsumerError(error: unknown): string {
  return describeKafkaError(error);
}
