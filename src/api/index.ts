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
  type SourceOptions,
} from './job-definition.js';
export {
  type KeyByOptions,
  type KeyedContext,
  type KeyedProcessor,
  type KeyedRecordContext,
  KeyedStream,
  type TimerContext,
  type Timers,
} from './keyed-stream.js';
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
export {
  type MapState,
  type MapStateDescriptor,
  mapState,
  type StateDescriptor,
  type StateOf,
  type StateOptions,
  type StateSpec,
  type ValueState,
  type ValueStateDescriptor,
  valueState,
} from './state.js';
export {
  type Aggregator,
  hopping,
  session,
  sliding,
  tumbling,
  type WindowAssigner,
  WindowedStream,
  type WindowOptions,
  type WindowResult,
} from './windows.js';
