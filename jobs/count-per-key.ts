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
    const records = job.fromKafka(p.topic, json(KeyedMessage));
    if (p.sink.startsWith('kafka:')) {
      // Each delta carries its key's newest input timestamp (as Kafka Streams' counts do), so a
      // reader of the output can tell how long a record took to become visible.
      records
        .map((m, record) => ({ key: m.key, at: record.timestamp ?? 0 }))
        .sinkTo(
          kafkaSink({
            topic: p.sink.slice('kafka:'.length),
            combine: (batch) => {
              const counts = new Map<string, { n: number; at: number }>();
              for (const { key, at } of batch) {
                const count = counts.get(key);
                if (count) {
                  count.n++;
                  if (at > count.at) count.at = at;
                } else counts.set(key, { n: 1, at });
              }
              return [...counts].map(([key, c]) => ({ key, value: String(c.n), timestamp: c.at }));
            },
          }),
        );
      return;
    }
    const keys = records.map((m) => m.key);
    keys.sinkTo(
      redisCounter({ key: p.counterKey, countBy: (key) => key, exactlyOnce: p.delivery === 'exactly-once' }),
    );
  },
});
