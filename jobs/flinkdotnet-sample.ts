// The seed's job (its "FlinkJobSimulator"), an ordinary job file written with Sluice's public API:
// read the sample messages, check them against their schema, and count them into the seed's Redis
// counter exactly once — or write each result to an output topic, exactly once (`sink=kafka:<topic>`).
// `npm start` runs it with the seed's settings as its parameters.

import { defineJob, json, kafkaSink, redisCounter, z } from 'sluice';

/** The seed's message: {"id":n,"payload":...}, plus the Redis sequence id in Redis mode. */
const SampleMessage = z.object({
  id: z.number().int().positive(),
  redis_ordered_id: z.number().int().positive().optional(),
  payload: z.string(),
});

export interface SampleResult {
  readonly id: number;
  readonly sequence: number;
  /** When the input record was produced (its Kafka timestamp): readers measure end-to-end latency. */
  readonly producedAt: number;
}

export default defineJob({
  name: 'flinkdotnet-sample',
  description: "The seed's job: count the sample messages exactly once",
  parameters: z.object({
    topic: z.string().default('flinkdotnet.sample.topic'),
    counterKey: z.string().default('flinkdotnet:sample:processed_message_counter'),
    /** redis: the seed's counter; kafka:<topic>: one output record per message, in transactions. */
    sink: z
      .string()
      .regex(/^(redis|kafka:[a-zA-Z0-9._-]+)$/)
      .default('redis'),
    /** Record every applied id in a Redis bitmap, so each id can be proven applied once. */
    trackIds: z.boolean().default(true),
    /** at-least-once: the unguarded counter, only to measure what the guarantee costs. */
    delivery: z.enum(['exactly-once', 'at-least-once']).default('exactly-once'),
  }),
  build(job, p) {
    const results = job.fromKafka(p.topic, json(SampleMessage)).map(
      (m, record): SampleResult => ({
        id: m.id,
        sequence: m.redis_ordered_id ?? m.id,
        producedAt: record.timestamp,
      }),
    );
    if (p.sink.startsWith('kafka:')) {
      results.sinkTo(kafkaSink({ topic: p.sink.slice('kafka:'.length), key: (r) => String(r.id) }));
      return;
    }
    results.sinkTo(
      redisCounter({
        key: p.counterKey,
        exactlyOnce: p.delivery === 'exactly-once',
        // Each message id is recorded as applied, so duplicates and gaps are provable, not just counted.
        ...(p.trackIds ? { idOf: (r: SampleResult) => r.id } : {}),
      }),
    );
  },
});
