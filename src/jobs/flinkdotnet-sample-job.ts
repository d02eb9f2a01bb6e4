// The seed's job (its "FlinkJobSimulator"), written with the pipeline API: read the sample messages,
// check them against their schema, tag each with its processing TaskManager-independent form, and
// count them into the seed's Redis counter, exactly once.

import { fromKafka, type JobGraph } from '../api/pipeline.js';
import { redisCounterSink } from '../connectors/redis/counter-sink.js';
import { SampleMessage } from './sample-message.js';

export interface SampleJobParameters {
  readonly counterKey: string;
  readonly trackIds: boolean;
}

export const SAMPLE_JOB_NAME = 'flinkdotnet-sample';

export function flinkDotNetSampleJob(parameters: SampleJobParameters): JobGraph {
  return fromKafka((record) => SampleMessage.parse(JSON.parse(String(record.value))))
    .map((message) => ({ id: message.id, sequence: message.redis_ordered_id ?? message.id }))
    .sinkTo(
      SAMPLE_JOB_NAME,
      redisCounterSink({
        counterKey: parameters.counterKey,
        // Each message id is recorded as applied, so duplicates and gaps are provable, not just counted.
        ...(parameters.trackIds ? { idOf: (result: { id: number }) => result.id } : {}),
      }),
    );
}
