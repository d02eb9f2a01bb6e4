// The seed's job (its "FlinkJobSimulator"), written with the pipeline API: read the sample messages,
// check them against their schema, tag each with its processing TaskManager-independent form, and
// count them into the seed's Redis counter, exactly once.

import { fromKafka, type JobGraph } from '../api/pipeline.js';
import { kafkaTransactionalSink } from '../connectors/kafka/kafka-transactional-sink.js';
import { redisCounterSink } from '../connectors/redis/counter-sink.js';
import { SampleMessage } from './sample-message.js';

export interface SampleJobParameters {
  readonly counterKey: string;
  readonly trackIds: boolean;
  /** Undefined: count into Redis (the seed's sink). Set: write each result to this topic, exactly once. */
  readonly outputTopic?: string;
  /** false: the at-least-once baseline of the Redis counter (for measurements only). */
  readonly exactlyOnce: boolean;
}

export interface SampleResult {
  readonly id: number;
  readonly sequence: number;
  /** When the input record was produced (its Kafka timestamp): lets readers measure end-to-end latency. */
  readonly producedAt: number | undefined;
}

export const SAMPLE_JOB_NAME = 'flinkdotnet-sample';

export function flinkDotNetSampleJob(parameters: SampleJobParameters): JobGraph {
  const results = fromKafka((record) => ({
    message: SampleMessage.parse(JSON.parse(String(record.value))),
    producedAt: record.timestamp,
  })).map(
    ({ message, producedAt }): SampleResult => ({
      id: message.id,
      sequence: message.redis_ordered_id ?? message.id,
      producedAt,
    }),
  );
  if (parameters.outputTopic !== undefined) {
    return results.sinkTo(
      SAMPLE_JOB_NAME,
      kafkaTransactionalSink<SampleResult>({
        topic: parameters.outputTopic,
        serialize: (result) => ({ key: String(result.id), value: Buffer.from(JSON.stringify(result)) }),
      }),
    );
  }
  return results.sinkTo(
    SAMPLE_JOB_NAME,
    redisCounterSink({
      counterKey: parameters.counterKey,
      guarded: parameters.exactlyOnce,
      // Each message id is recorded as applied, so duplicates and gaps are provable, not just counted.
      ...(parameters.trackIds ? { idOf: (result: SampleResult) => result.id } : {}),
    }),
  );
}
