// The benchmark job (the same one the Kafka Streams peer runs), an ordinary job file: parse each
// JSON record and count it under its key, exactly once — into a Redis hash (`<counterKey>:by_key`),
// or to an output topic as per-batch count deltas per key, inside the batch's Kafka transaction.

import { defineJob, json, kafkaSink, redisCounter, z } from 'sluice';

const KeyedMessage = z.object({
  id: z.number().int().positive(),
  key: z.string().min(1),
  payload: z.string(),
});

export default defineJob({
  name: 'count-per-key',
  description: 'Counts records per key, exactly once',
  parameters: z.object({
    topic: z.string(),
    counterKey: z.string().default('sluice:count-per-key'),
    /** redis: a hash of counts; kafka:<topic>: count deltas per key and batch. */
    sink: z
      .string()
      .regex(/^(redis|kafka:[a-zA-Z0-9._-]+)$/)
      .default('redis'),
    delivery: z.enum(['exactly-once', 'at-least-once']).default('exactly-once'),
  }),
  build(job, p) {
    const keys = job.fromKafka(p.topic, json(KeyedMessage)).map((m) => m.key);
    if (p.sink.startsWith('kafka:')) {
      keys.sinkTo(
        kafkaSink({
          topic: p.sink.slice('kafka:'.length),
          combine: (batch) => {
            const counts = new Map<string, number>();
            for (const key of batch) counts.set(key, (counts.get(key) ?? 0) + 1);
            return [...counts].map(([key, n]) => ({ key, value: String(n) }));
          },
        }),
      );
      return;
    }
    keys.sinkTo(
      redisCounter({ key: p.counterKey, countBy: (key) => key, exactlyOnce: p.delivery === 'exactly-once' }),
    );
  },
});
