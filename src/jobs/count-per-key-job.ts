// The benchmark job (the same one the Kafka Streams peer runs): parse each JSON record and count it
// under its key, exactly once. Counts land in a Redis hash (`<counter>:by_key`), or go to an output
// topic as per-batch count deltas per key, inside the batch's Kafka transaction.

import { z } from 'zod';
import { fromKafka, type JobGraph } from '../api/pipeline.js';
import { kafkaTransactionalSink } from '../connectors/kafka/kafka-transactional-sink.js';
import { redisCounterSink } from '../connectors/redis/counter-sink.js';

export const COUNT_PER_KEY_JOB_NAME = 'count-per-key';

const KeyedMessage = z.object({
  id: z.number().int().positive(),
  key: z.string().min(1),
  payload: z.string(),
});

export interface KeyedResult {
  readonly id: number;
  readonly key: string;
}

export interface CountPerKeyParameters {
  readonly counterKey: string;
  readonly outputTopic?: string;
  readonly exactlyOnce: boolean;
}

export function countPerKeyJob(parameters: CountPerKeyParameters): JobGraph {
  const results = fromKafka((record) => KeyedMessage.parse(JSON.parse(String(record.value)))).map(
    (m): KeyedResult => ({ id: m.id, key: m.key }),
  );
  if (parameters.outputTopic !== undefined) {
    return results.sinkTo(
      COUNT_PER_KEY_JOB_NAME,
      kafkaTransactionalSink<KeyedResult>({
        topic: parameters.outputTopic,
        serialize: (r) => ({ key: r.key, value: Buffer.from('1') }),
        aggregate: (batch) => {
          const counts = new Map<string, number>();
          for (const r of batch) counts.set(r.key, (counts.get(r.key) ?? 0) + 1);
          return [...counts].map(([key, n]) => ({ key, value: Buffer.from(String(n)) }));
        },
      }),
    );
  }
  return results.sinkTo(
    COUNT_PER_KEY_JOB_NAME,
    redisCounterSink<KeyedResult>({
      counterKey: parameters.counterKey,
      guarded: parameters.exactlyOnce,
      keyOf: (r: KeyedResult) => r.key,
    }),
  );
}
