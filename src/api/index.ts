// `import { ... } from 'sluice'`: everything a job author needs, and nothing of the runtime.

export { z } from 'zod';
export { DataStream } from './data-stream.js';
export {
  bytes,
  type Deserializer,
  type DeserializerLike,
  EmptyRecordError,
  json,
  string,
} from './deserializers.js';
export {
  defineJob,
  isJobDefinition,
  JobBuilder,
  type JobDefinition,
  type JobSpecification,
} from './job-definition.js';
export { type RecordErrorCode, RecordErrorCodes } from './record-error.js';
export type { ProcessContext, RecordContext, RecordHeaders, SourceRecord } from './records.js';
export {
  defineSink,
  type IdempotentSinkSpec,
  type KafkaOutputRecord,
  type KafkaSink,
  type KafkaSinkOptions,
  kafkaSink,
  type RedisCounterOptions,
  type RedisCounterSink,
  type RedisWriteOptions,
  type RedisWriteSink,
  redisCounter,
  redisWrite,
  type Sink,
  type SinkBatch,
  SinkError,
  type SinkOpenContext,
  type SinkRecord,
  type SinkTask,
  type TransactionalSinkSpec,
  type UserSink,
} from './sinks.js';
