// The shape of Sluice's validated configuration, one section per component. Components take
// their own section; none of them reads the environment.

import type { Secret } from './secret.js';

export interface JobConfig {
  readonly topic: string;
  readonly consumerGroup: string;
  readonly partitions: number;
  readonly numMessages: number;
  readonly useKafkaSource: boolean;
  readonly sinkCounterKey: string;
  readonly globalSequenceKey: string;
  /** Where results go: the Redis counter, or an output topic written in Kafka transactions. */
  readonly sink: { readonly kind: 'redis-counter' } | { readonly kind: 'kafka'; readonly topic: string };
  readonly delivery: 'exactly-once' | 'at-least-once';
  /** Records the job cannot process go here, with headers saying where from and why. */
  readonly deadLetterTopic: string;
  /** The dead-letter topic when it was set (SLUICE_DLQ_TOPIC); a job file's default is `<its first topic>.dlq`. */
  readonly deadLetterTopicGiven: string | undefined;
  /** The consumer group when it was set (SIMULATOR_KAFKA_CONSUMER_GROUP / --group); a job file's default is `sluice-<job name>`. */
  readonly consumerGroupGiven: string | undefined;
  /** Record each applied message id so every id can be proven applied exactly once. */
  readonly trackIds: boolean;
}

export interface KafkaConfig {
  readonly bootstrapServers: string;
  /**
   * True when the brokers were named (SLUICE_KAFKA_BOOTSTRAP / --bootstrap-servers): a cluster Sluice
   * does not manage, where it creates no topics. False: the local cluster `sluice infra` runs.
   */
  readonly bootstrapGiven: boolean;
  /** How long components wait for the broker before they give up (the seed's "1-minute wait"). */
  readonly waitTimeoutMs: number;
  /** How every Kafka client of the process authenticates and encrypts (PLAINTEXT by default). */
  readonly security: KafkaSecurity;
  /** librdkafka debug contexts (SLUICE_KAFKA_DEBUG): the TaskManagers' clients print their debug lines. */
  readonly debug?: string;
}

/** librdkafka's security.protocol values, as Kafka spells them. */
export type KafkaSecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type KafkaSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface KafkaSecurity {
  readonly protocol: KafkaSecurityProtocol;
  /** Present exactly when the protocol is SASL_PLAINTEXT or SASL_SSL (load-config checks it). */
  readonly sasl?: {
    readonly mechanism: KafkaSaslMechanism;
    readonly username: string;
    readonly password: Secret;
  };
  /** PEM files; only with SSL or SASL_SSL. Certificate and key come together (mutual TLS). */
  readonly ssl?: {
    readonly caLocation?: string;
    readonly certificateLocation?: string;
    readonly keyLocation?: string;
  };
}

export interface RedisConfig {
  /** Never holds credentials: a user or password given in SLUICE_REDIS_URL is moved to the fields below. */
  readonly url: string;
  /** ACL user; without it, AUTH is for the `default` user (requirepass). */
  readonly username?: string;
  readonly password?: Secret;
  /** PEM CA that signed the server's certificate, for rediss:// servers with a private CA. */
  readonly tlsCaLocation?: string;
}

export interface InfraConfig {
  /** Pid files, logs and data of the Kafka and Redis that Sluice starts. */
  readonly stateDir: string;
  /** Downloaded Kafka jars, shared by every state dir. */
  readonly cacheDir: string;
  /** Address Kafka and Redis listen on and advertise: loopback unless other hosts must reach them. */
  readonly host: string;
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  readonly kafkaHeap: string;
  readonly redisPort: number;
}

export interface RuntimeConfig {
  /** TaskManager processes the JobManager starts on this host. */
  readonly taskManagers: number;
  readonly groupProtocol: 'consumer' | 'classic';
  /** Port of the JobManager's HTTP/WebSocket endpoint (Flink's default is 8081); 0 = any free port. */
  readonly jobManagerPort: number;
  /** Where the JobManager listens; loopback unless told otherwise (the API is unauthenticated, read-only). */
  readonly jobManagerHost: string;
  /** Where a TaskManager finds its JobManager. */
  readonly jobManagerUrl: string;
  /**
   * The secret the JobManager and its TaskManagers prove to each other at registration (HMAC
   * challenge-response: it never crosses the wire). Required once the JobManager listens beyond
   * loopback, or a TaskManager's JobManager is on another host.
   */
  readonly clusterSecret?: Secret;
  /** Set for a TaskManager process. */
  readonly taskManagerId: string;
  /** How long a TaskManager works on without its JobManager (a restart, a network cut) before it stops. */
  readonly jobManagerReconnectTimeoutMs: number;
  /** How long a TaskManager's event loop may stay stuck before the process kills itself (loop-watchdog.ts). */
  readonly taskManagerStallTimeoutMs: number;
  /** A fault a test asks for at an exact moment (SLUICE_FAIL_POINT); never set in normal use. */
  readonly failPoint?: { readonly at: 'checkpoint-stored'; readonly checkpoint: number };
  /**
   * Kafka and Redis addresses given explicitly to this process: a TaskManager uses them instead of
   * the job's (the JobManager may see the servers under other names than this host does).
   */
  readonly taskManagerConnections: { readonly bootstrapServers?: string; readonly redisUrl?: string };
  /** Where a new streaming job (`sluice jobmanager`) starts reading. */
  readonly startFrom: 'latest' | 'earliest';
  /** `sluice run <job>`: stop cleanly once the input has been idle this long (undefined: run until stopped). */
  readonly stopWhenIdleMs: number | undefined;
  readonly progressEvery: number;
  readonly consumeBatch: number;
  readonly jobTimeoutMs: number;
  readonly checkpointIntervalMs: number;
  readonly checkpointTimeoutMs: number;
  /**
   * aligned: a task's Kafka transaction commits once the checkpoint completed (every task prepared);
   * per-task: it commits at the task's barrier, as Kafka Streams commits each task's transaction.
   */
  readonly checkpointCommit: 'aligned' | 'per-task';
  /** Input records per second (0: unlimited). */
  readonly produceRate: number;
  readonly restartTaskManagers: boolean;
  /** false: never start or stop Kafka and Redis, use the configured ones. */
  readonly manageInfra: boolean;
}

export interface LoggingConfig {
  readonly format: 'json' | 'pretty';
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface SluiceConfig {
  readonly job: JobConfig;
  readonly kafka: KafkaConfig;
  readonly redis: RedisConfig;
  readonly infra: InfraConfig;
  readonly runtime: RuntimeConfig;
  readonly logging: LoggingConfig;
  /** CI=true: smaller defaults (5 TaskManagers instead of 20). */
  readonly ci: boolean;
}
