// The table of every setting Sluice reads: its environment variable, its flag, the accepted form
// (said in words for error messages) and its default. The CLI reads the raw strings; load-config.ts
// turns them into one validated, frozen configuration.

import { z } from 'zod';
import {
  booleanText,
  bootstrapServers,
  debugContexts,
  duration,
  heapSize,
  hidden,
  LIBRDKAFKA_DEBUG_CONTEXTS,
  nonEmpty,
  port,
  positiveInt,
  redisUrl,
  secretText,
  topicName,
  trimmed,
  urlWithoutPassword,
} from './setting-forms.js';

export interface SettingSpec<T> {
  /** Environment variable; the seed's SIMULATOR_* names are kept as written. */
  readonly env: string;
  /** Long flag that overrides the variable, if the setting has one. */
  readonly flag?: string;
  /** What a valid value looks like, for the error message. */
  readonly accepted: string;
  /** Default as the user would write it; undefined means "derived from other settings". */
  readonly defaultRaw: string | undefined;
  readonly schema: z.ZodType<T, string>;
  /**
   * How a rejected value is quoted in the error message, for settings that hold or may hold a
   * secret; the others are quoted as given.
   */
  readonly display?: (raw: string) => string;
}

function spec<T>(s: SettingSpec<T>): SettingSpec<T> {
  return s;
}

export const Settings = {
  topic: spec({
    env: 'SIMULATOR_KAFKA_TOPIC',
    flag: '--topic',
    accepted: 'a Kafka topic name: 1-249 characters of letters, digits, ".", "_" and "-"',
    defaultRaw: 'flinkdotnet.sample.topic',
    schema: topicName,
  }),
  consumerGroup: spec({
    env: 'SIMULATOR_KAFKA_CONSUMER_GROUP',
    flag: '--group',
    accepted: 'a non-empty consumer group id',
    defaultRaw: 'flinkdotnet-stress-test-consumer-group',
    schema: nonEmpty,
  }),
  sinkCounterKey: spec({
    env: 'SIMULATOR_REDIS_KEY_SINK_COUNTER',
    accepted: 'a non-empty Redis key',
    defaultRaw: 'flinkdotnet:sample:processed_message_counter',
    schema: nonEmpty,
  }),
  globalSequenceKey: spec({
    env: 'SIMULATOR_REDIS_KEY_GLOBAL_SEQUENCE',
    accepted: 'a non-empty Redis key',
    defaultRaw: 'flinkdotnet:global_sequence_id',
    schema: nonEmpty,
  }),
  numMessages: spec({
    env: 'SIMULATOR_NUM_MESSAGES',
    flag: '--messages',
    accepted: 'a whole number of messages from 1 to 1000000000, e.g. 100000',
    defaultRaw: '100000',
    schema: positiveInt(1_000_000_000),
  }),
  useKafkaSource: spec({
    env: 'STRESS_TEST_USE_KAFKA_SOURCE',
    accepted: 'true or false (also 1/0, yes/no)',
    defaultRaw: 'false',
    schema: booleanText,
  }),
  sink: spec({
    env: 'SLUICE_SINK',
    flag: '--sink',
    accepted: "redis (the seed's Redis counter) or kafka:<topic> (an output topic, written in transactions)",
    defaultRaw: 'redis',
    schema: trimmed.regex(/^(redis|kafka:[a-zA-Z0-9._-]{1,249})$/),
  }),
  delivery: spec({
    env: 'SLUICE_DELIVERY',
    flag: '--delivery',
    accepted:
      'exactly-once, or at-least-once (the unguarded Redis counter, only to measure what the guarantee costs)',
    defaultRaw: 'exactly-once',
    schema: trimmed.toLowerCase().pipe(z.enum(['exactly-once', 'at-least-once'])),
  }),
  deadLetterTopic: spec({
    env: 'SLUICE_DLQ_TOPIC',
    flag: '--dlq-topic',
    accepted: 'a Kafka topic name for records the job cannot process (default: <topic>.dlq)',
    defaultRaw: undefined, // <topic>.dlq
    schema: topicName,
  }),
  trackIds: spec({
    env: 'SLUICE_TRACK_IDS',
    accepted:
      'true or false: record every applied message id in a Redis bitmap (N/8 bytes) to prove each id once',
    defaultRaw: 'true',
    schema: booleanText,
  }),
  ci: spec({
    env: 'CI',
    accepted: 'true or false (also 1/0, yes/no)',
    defaultRaw: 'false',
    schema: booleanText,
  }),
  partitions: spec({
    env: 'SLUICE_PARTITIONS',
    flag: '--partitions',
    accepted: 'a whole number of partitions from 1 to 1000',
    defaultRaw: '4',
    schema: positiveInt(1000),
  }),
  kafkaPort: spec({
    env: 'SLUICE_KAFKA_PORT',
    flag: '--kafka-port',
    accepted: 'a TCP port from 1 to 65535',
    defaultRaw: '9092',
    schema: port,
  }),
  kafkaControllerPort: spec({
    env: 'SLUICE_KAFKA_CONTROLLER_PORT',
    flag: '--kafka-controller-port',
    accepted: 'a TCP port from 1 to 65535, other than the broker port',
    defaultRaw: '9093',
    schema: port,
  }),
  infraHost: spec({
    env: 'SLUICE_INFRA_HOST',
    flag: '--infra-host',
    accepted:
      'the address the local Kafka and Redis listen on and advertise (default 127.0.0.1; a host address to serve other hosts)',
    defaultRaw: '127.0.0.1',
    schema: trimmed.regex(/^[0-9.]+$|^[A-Za-z0-9.-]+$/),
  }),
  kafkaBootstrap: spec({
    env: 'SLUICE_KAFKA_BOOTSTRAP',
    flag: '--bootstrap-servers',
    accepted: 'host:port[,host:port...], e.g. 127.0.0.1:9092',
    defaultRaw: undefined, // 127.0.0.1:<kafka port>
    schema: bootstrapServers,
  }),
  kafkaWaitTimeoutMs: spec({
    env: 'SLUICE_KAFKA_WAIT_TIMEOUT',
    flag: '--kafka-wait-timeout',
    accepted: 'a duration such as 60s, 1500ms or 2m (a bare number is milliseconds)',
    defaultRaw: '60s',
    schema: duration,
  }),
  kafkaDebug: spec({
    env: 'SLUICE_KAFKA_DEBUG',
    flag: '--kafka-debug',
    accepted: `librdkafka debug contexts, comma-separated, of ${LIBRDKAFKA_DEBUG_CONTEXTS.join(', ')} (e.g. cgrp,eos): the Kafka client's own debug lines, on the process's stderr`,
    defaultRaw: undefined,
    schema: debugContexts,
  }),
  kafkaHeap: spec({
    env: 'SLUICE_KAFKA_HEAP',
    accepted: 'a JVM heap size such as 512m or 1g',
    defaultRaw: '512m',
    schema: heapSize,
  }),
  kafkaSecurityProtocol: spec({
    env: 'SLUICE_KAFKA_SECURITY_PROTOCOL',
    flag: '--kafka-security-protocol',
    accepted: 'PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL',
    defaultRaw: 'PLAINTEXT',
    schema: trimmed.toUpperCase().pipe(z.enum(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'])),
  }),
  kafkaSaslMechanism: spec({
    env: 'SLUICE_KAFKA_SASL_MECHANISM',
    flag: '--kafka-sasl-mechanism',
    accepted: 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (needed with a SASL_* protocol)',
    defaultRaw: undefined,
    schema: trimmed.toUpperCase().pipe(z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'])),
  }),
  kafkaSaslUsername: spec({
    env: 'SLUICE_KAFKA_SASL_USERNAME',
    flag: '--kafka-sasl-username',
    accepted: 'the SASL user name Kafka knows this client by',
    defaultRaw: undefined,
    schema: nonEmpty,
  }),
  // No flag: a command line is visible to every user of the host (ps); use the variable or the file.
  kafkaSaslPassword: spec({
    env: 'SLUICE_KAFKA_SASL_PASSWORD',
    accepted: 'the SASL password (or use SLUICE_KAFKA_SASL_PASSWORD_FILE)',
    defaultRaw: undefined,
    schema: secretText,
    display: hidden,
  }),
  kafkaSaslPasswordFile: spec({
    env: 'SLUICE_KAFKA_SASL_PASSWORD_FILE',
    flag: '--kafka-sasl-password-file',
    accepted: 'a readable file holding the SASL password (one trailing newline is ignored)',
    defaultRaw: undefined,
    schema: nonEmpty,
  }),
  kafkaSslCaLocation: spec({
    env: 'SLUICE_KAFKA_SSL_CA_LOCATION',
    flag: '--kafka-ssl-ca-location',
    accepted: "a readable PEM file of the CA certificate(s) that signed the brokers' certificates",
    defaultRaw: undefined, // the system's CA store
    schema: nonEmpty,
  }),
  kafkaSslCertificateLocation: spec({
    env: 'SLUICE_KAFKA_SSL_CERTIFICATE_LOCATION',
    flag: '--kafka-ssl-certificate-location',
    accepted:
      "a readable PEM file of this client's certificate (mutual TLS; with SLUICE_KAFKA_SSL_KEY_LOCATION)",
    defaultRaw: undefined,
    schema: nonEmpty,
  }),
  kafkaSslKeyLocation: spec({
    env: 'SLUICE_KAFKA_SSL_KEY_LOCATION',
    flag: '--kafka-ssl-key-location',
    accepted:
      "a readable, unencrypted PEM file of this client's private key (with SLUICE_KAFKA_SSL_CERTIFICATE_LOCATION)",
    defaultRaw: undefined,
    schema: nonEmpty,
  }),
  redisPort: spec({
    env: 'SLUICE_REDIS_PORT',
    flag: '--redis-port',
    accepted: 'a TCP port from 1 to 65535',
    defaultRaw: '6379',
    schema: port,
  }),
  redisUrl: spec({
    env: 'SLUICE_REDIS_URL',
    flag: '--redis',
    accepted: 'a Redis URL such as redis://127.0.0.1:6379, or rediss://host:port for TLS',
    defaultRaw: undefined, // redis://127.0.0.1:<redis port>
    schema: redisUrl,
    display: urlWithoutPassword,
  }),
  redisUsername: spec({
    env: 'SLUICE_REDIS_USERNAME',
    flag: '--redis-username',
    accepted: 'a Redis ACL user name (with a password; without it AUTH is for the default user)',
    defaultRaw: undefined,
    schema: nonEmpty,
  }),
  // No flag, as for the Kafka password: command lines are visible to every user of the host.
  redisPassword: spec({
    env: 'SLUICE_REDIS_PASSWORD',
    accepted: "the Redis password (requirepass or the ACL user's; or use SLUICE_REDIS_PASSWORD_FILE)",
    defaultRaw: undefined,
    schema: secretText,
    display: hidden,
  }),
  redisPasswordFile: spec({
    env: 'SLUICE_REDIS_PASSWORD_FILE',
    flag: '--redis-password-file',
    accepted: 'a readable file holding the Redis password (one trailing newline is ignored)',
    defaultRaw: undefined,
    schema: nonEmpty,
  }),
  clusterSecretFile: spec({
    env: 'SLUICE_CLUSTER_SECRET_FILE',
    flag: '--cluster-secret-file',
    accepted:
      'a readable file holding the secret the JobManager and its TaskManagers share (at least 16 characters, e.g. ' +
      '`openssl rand -hex 32`; one trailing newline is ignored); needed when the JobManager listens beyond loopback',
    defaultRaw: undefined,
    schema: nonEmpty,
  }),
  redisTlsCa: spec({
    env: 'SLUICE_REDIS_TLS_CA',
    flag: '--redis-tls-ca',
    accepted: "a readable PEM file of the CA that signed the Redis server's certificate (rediss:// only)",
    defaultRaw: undefined, // the system's CA store
    schema: nonEmpty,
  }),
  stateDir: spec({
    env: 'SLUICE_STATE_DIR',
    flag: '--state-dir',
    accepted: 'a directory path',
    defaultRaw: undefined, // <project>/.sluice
    schema: nonEmpty,
  }),
  cacheDir: spec({
    env: 'SLUICE_CACHE_DIR',
    accepted: 'a directory path',
    defaultRaw: undefined, // <project>/.cache
    schema: nonEmpty,
  }),
  taskManagers: spec({
    env: 'SLUICE_TASKMANAGERS',
    flag: '--taskmanagers',
    accepted: 'a whole number of TaskManager processes from 0 to 200 (default 20, or 5 when CI=true)',
    defaultRaw: undefined, // 20, or 5 when CI=true
    schema: trimmed.regex(/^\d+$/).transform(Number).pipe(z.number().int().min(0).max(200)),
  }),
  groupProtocol: spec({
    env: 'SLUICE_GROUP_PROTOCOL',
    flag: '--group-protocol',
    accepted: 'consumer (KIP-848, server-side assignment) or classic (cooperative-sticky)',
    defaultRaw: 'consumer',
    schema: trimmed.toLowerCase().pipe(z.enum(['consumer', 'classic'])),
  }),
  jobManagerPort: spec({
    env: 'SLUICE_JOBMANAGER_PORT',
    flag: '--jobmanager-port',
    accepted: 'a TCP port from 0 to 65535 (0 picks a free one)',
    defaultRaw: '8081',
    schema: trimmed.regex(/^\d+$/).transform(Number).pipe(z.number().int().min(0).max(65535)),
  }),
  jobManagerHost: spec({
    env: 'SLUICE_JOBMANAGER_HOST',
    flag: '--bind',
    accepted:
      'the address the JobManager listens on: 127.0.0.1 (default, this host only) or 0.0.0.0 / an interface address',
    defaultRaw: '127.0.0.1',
    schema: trimmed.regex(/^[A-Za-z0-9.:-]+$/),
  }),
  jobManagerUrl: spec({
    env: 'SLUICE_JOBMANAGER_URL',
    flag: '--jobmanager',
    accepted: 'the JobManager address, e.g. http://127.0.0.1:8081',
    defaultRaw: undefined, // http://127.0.0.1:<jobmanager port>
    schema: trimmed.regex(/^(https?|wss?):\/\/[^\s]+$/),
  }),
  jobManagerReconnectTimeoutMs: spec({
    env: 'SLUICE_JOBMANAGER_RECONNECT_TIMEOUT',
    flag: '--jobmanager-reconnect-timeout',
    accepted:
      'a duration such as 60s or 5m: how long a TaskManager keeps working without its JobManager before it stops',
    defaultRaw: '60s',
    schema: duration,
  }),
  failPoint: spec({
    env: 'SLUICE_FAIL_POINT',
    flag: '--fail-point',
    accepted:
      'checkpoint-stored:<n> (fault tests: the JobManager kills itself with SIGKILL right after storing checkpoint n, before announcing it)',
    defaultRaw: undefined,
    schema: trimmed.regex(/^checkpoint-stored:\d+$/).transform((v) => ({
      at: 'checkpoint-stored' as const,
      checkpoint: Number(v.split(':')[1]),
    })),
  }),
  taskManagerStallTimeoutMs: spec({
    env: 'SLUICE_TASKMANAGER_STALL_TIMEOUT',
    flag: '--stall-timeout',
    accepted:
      "a duration such as 30s: how long a TaskManager's event loop may stay stuck (job code that never returns) before the process kills itself so its partitions move",
    defaultRaw: '30s',
    schema: duration,
  }),
  startFrom: spec({
    env: 'SLUICE_START_FROM',
    flag: '--start-from',
    accepted:
      "where a new streaming job starts reading: latest (the topic's end when the job is created) or earliest",
    defaultRaw: 'latest',
    schema: trimmed.toLowerCase().pipe(z.enum(['latest', 'earliest'])),
  }),
  taskManagerId: spec({
    env: 'SLUICE_TASKMANAGER_ID',
    flag: '--id',
    accepted: 'a TaskManager id such as TM-07 (letters, digits, "-" and "_")',
    defaultRaw: undefined, // TM-<host>-<pid>
    schema: trimmed.regex(/^[A-Za-z0-9_-]{1,64}$/),
  }),
  stopWhenIdleMs: spec({
    env: 'SLUICE_STOP_WHEN_IDLE',
    flag: '--stop-when-idle',
    accepted:
      'a duration such as 5s or 1m: stop the job cleanly once no input arrived for that long and everything read is committed',
    defaultRaw: undefined, // run until stopped
    schema: duration,
  }),
  progressEvery: spec({
    env: 'SLUICE_PROGRESS_EVERY',
    flag: '--progress-every',
    accepted: 'how many messages a TaskManager consumes between two progress lines, e.g. 10000',
    defaultRaw: '10000',
    schema: positiveInt(1_000_000_000),
  }),
  consumeBatch: spec({
    env: 'SLUICE_CONSUME_BATCH',
    accepted: 'the most records a task handles per step, from 1 to 100000',
    defaultRaw: '2000',
    schema: positiveInt(100_000),
  }),
  jobTimeoutMs: spec({
    env: 'SLUICE_JOB_TIMEOUT',
    flag: '--job-timeout',
    accepted: 'a duration such as 120s or 10m: how long a job may take before it is declared failed',
    defaultRaw: '10m',
    schema: duration,
  }),
  checkpointIntervalMs: spec({
    env: 'SLUICE_CHECKPOINT_INTERVAL',
    flag: '--checkpoint-interval',
    accepted: 'a duration such as 1s or 500ms: time between the end of one checkpoint and the next',
    defaultRaw: '1s',
    schema: duration,
  }),
  checkpointCommit: spec({
    env: 'SLUICE_CHECKPOINT_COMMIT',
    flag: '--checkpoint-commit',
    accepted:
      "aligned (a checkpoint's Kafka transactions commit once every task prepared: Flink's two-phase commit) " +
      'or per-task (each task whose sinks are all Kafka commits its transaction at the barrier and on its own ' +
      "clock every checkpoint interval, without waiting for the others: Kafka Streams' exactly_once_v2)",
    defaultRaw: 'aligned',
    schema: trimmed.toLowerCase().pipe(z.enum(['aligned', 'per-task'])),
  }),
  checkpointTimeoutMs: spec({
    env: 'SLUICE_CHECKPOINT_TIMEOUT',
    accepted: 'a duration such as 10s: a checkpoint not acknowledged by every task by then is aborted',
    defaultRaw: '10s',
    schema: duration,
  }),
  produceRate: spec({
    env: 'SLUICE_PRODUCE_RATE',
    flag: '--rate',
    accepted: 'input records per second at most, 0 for as fast as possible',
    defaultRaw: '0',
    schema: trimmed.regex(/^\d+$/).transform(Number).pipe(z.number().int().min(0)),
  }),
  restartTaskManagers: spec({
    env: 'SLUICE_RESTART_TASKMANAGERS',
    accepted: 'true (start a TaskManager that died unexpectedly again) or false',
    defaultRaw: 'true',
    schema: booleanText,
  }),
  manageInfra: spec({
    env: 'SLUICE_MANAGE_INFRA',
    accepted: 'true (start Kafka and Redis when they are not running) or false (use the ones configured)',
    defaultRaw: 'true',
    schema: booleanText,
  }),
  logFormat: spec({
    env: 'SLUICE_LOG_FORMAT',
    flag: '--log-format',
    accepted: "json (one JSON object per line) or pretty (the seed's lines for people)",
    defaultRaw: 'json',
    schema: trimmed.toLowerCase().pipe(z.enum(['json', 'pretty'])),
  }),
  logLevel: spec({
    env: 'SLUICE_LOG_LEVEL',
    flag: '--log-level',
    accepted: 'one of fatal, error, warn, info, debug, trace, silent',
    defaultRaw: 'info',
    schema: trimmed
      .toLowerCase()
      .pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])),
  }),
} as const;

export type SettingName = keyof typeof Settings;
export type SettingValue<N extends SettingName> =
  (typeof Settings)[N] extends SettingSpec<infer T> ? T : never;

/** Where a raw value came from, so the error can say which variable or flag to fix. */
export interface RawSetting {
  value: string;
  source: 'env' | 'flag';
}

export type RawSettings = Partial<Record<SettingName, RawSetting>>;
