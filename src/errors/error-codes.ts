// The closed list of Sluice error codes. Every SluiceError carries one of these; docs/errors.md
// documents each (a unit test keeps the two in step). Codes are never reused for another meaning.

export const ErrorCodes = {
  /** A setting (env var or flag) has a value outside its accepted form. */
  CONFIG_INVALID: { retriable: false, exitCode: 2 },
  /** The broker did not answer a metadata request (or the topic had no leaders) before the deadline. */
  KAFKA_NOT_READY: { retriable: true, exitCode: 3 },
  /**
   * The broker refused this client's credentials (SASL) or the TLS handshake failed (untrusted or
   * mismatched certificate, a TLS client on a plaintext listener): retrying cannot help.
   */
  KAFKA_AUTH_FAILED: { retriable: false, exitCode: 2 },
  /** A Kafka admin request (create/describe topic, describe group) failed. */
  KAFKA_ADMIN_FAILED: { retriable: true, exitCode: 3 },
  /** The topic exists with a partition count other than the one the job needs. */
  KAFKA_TOPIC_PARTITION_MISMATCH: { retriable: false, exitCode: 2 },
  /** Producing to Kafka failed (delivery report error or flush timeout). */
  KAFKA_PRODUCE_FAILED: { retriable: true, exitCode: 3 },
  /** A Kafka consumer operation failed (connect, subscribe, consume). */
  KAFKA_CONSUME_FAILED: { retriable: true, exitCode: 3 },
  /** A TaskManager could not reach or register with its JobManager. */
  JOBMANAGER_UNREACHABLE: { retriable: true, exitCode: 3 },
  /** The JobManager refused a TaskManager (e.g. its id is already registered). */
  JOBMANAGER_REJECTED: { retriable: false, exitCode: 2 },
  /**
   * The broker gave this TaskManager's tasks to other members and its consumer never heard of it:
   * it exits so that it is started again with a fresh consumer.
   */
  TASKMANAGER_OWNERSHIP_LOST: { retriable: true, exitCode: 3 },
  /** The job did not reach its verified result (counter != N, timeout, TaskManagers gone). */
  JOB_FAILED: { retriable: false, exitCode: 1 },
  /** A long-running job's record in Redis cannot be read or does not fit the job's settings. */
  JOB_RECORD_INVALID: { retriable: false, exitCode: 2 },
  /** A job file cannot be found or loaded, or its default export is not a job definition. */
  JOB_FILE_INVALID: { retriable: false, exitCode: 2 },
  /** A `--param` names no parameter of the job, or its value does not fit the job's schema. */
  JOB_PARAMETER_INVALID: { retriable: false, exitCode: 2 },
  /** The job's graph cannot run: no source, a stream that reaches no sink, two sinks with one name. */
  JOB_DEFINITION_INVALID: { retriable: false, exitCode: 2 },
  /** `sluice produce` got a line that is not a JSON record, or one without the key field it was told to use. */
  INPUT_INVALID: { retriable: false, exitCode: 2 },
  /** A topic the job reads or writes does not exist on a cluster Sluice does not manage. */
  KAFKA_TOPIC_MISSING: { retriable: false, exitCode: 2 },
  /** A task could not read its state's changelog to the end (the broker is down or too slow). */
  STATE_RESTORE_FAILED: { retriable: true, exitCode: 3 },
  /** A task's local state store could not be opened or written (disk full, permissions). */
  STATE_STORE_FAILED: { retriable: true, exitCode: 3 },
  /** Redis did not answer (connection refused, timeout). */
  REDIS_UNAVAILABLE: { retriable: true, exitCode: 3 },
  /** Redis refused the credentials (WRONGPASS, NOAUTH) or its TLS certificate could not be verified. */
  REDIS_AUTH_FAILED: { retriable: false, exitCode: 2 },
  /** A program Sluice needs on this machine (java, mvn, redis-server) is missing. */
  INFRA_TOOL_MISSING: { retriable: false, exitCode: 4 },
  /** Resolving the Kafka broker jars from Maven Central failed. */
  INFRA_KAFKA_JARS_UNAVAILABLE: { retriable: true, exitCode: 4 },
  /** A port Sluice wants to listen on is held by a process that is not ours. */
  INFRA_PORT_IN_USE: { retriable: false, exitCode: 4 },
  /** A service we started (Kafka, Redis) exited or never became ready. */
  INFRA_START_FAILED: { retriable: true, exitCode: 4 },
  /** A service could not be stopped, even with SIGKILL. */
  INFRA_STOP_FAILED: { retriable: false, exitCode: 4 },
  /** A benchmark's peer stopped making progress (its output did not move for a minute) or did not finish in time. */
  BENCH_PEER_STALLED: { retriable: true, exitCode: 3 },
} as const satisfies Record<string, { retriable: boolean; exitCode: number }>;

export type ErrorCode = keyof typeof ErrorCodes;

/** Prefix that makes codes greppable in logs, as Fastify's FST_ERR_. */
export const ERROR_CODE_PREFIX = 'SLUICE_ERR_';
