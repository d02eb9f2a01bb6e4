// Page views per user in 10 s tumbling windows of event time, one final count per window, exactly
// once — Kafka Streams' `groupByKey().windowedBy(TimeWindows.ofSizeAndGrace(...)).count()`.
// The input is keyed by page, not by user: `keyBy` sends the records through a repartition topic.
import { defineJob, json, kafkaSink, tumbling, z } from 'sluice';

const PageView = z.object({ user: z.string(), page: z.string(), t: z.number().int() });

export default defineJob({
  name: 'page-view-counts',
  parameters: z.object({
    input: z.string().default('page-views'),
    output: z.string().default('page-view-counts'),
    windowMs: z.number().int().positive().default(10_000),
    /** Records may arrive this much out of event-time order and still count. */
    outOfOrdernessMs: z.number().int().min(0).default(1_000),
    graceMs: z.number().int().min(0).default(2_000),
  }),
  build(job, p) {
    job
      .fromKafka(p.input, json(PageView), { timestamp: (v) => v.t, outOfOrdernessMs: p.outOfOrdernessMs })
      .keyBy((v) => v.user)
      .window(tumbling(p.windowMs), { graceMs: p.graceMs })
      .count()
      .map((w) => ({ user: w.key, start: new Date(w.start).toISOString(), end: w.end, views: w.value }))
      .sinkTo(kafkaSink({ topic: p.output, key: (c) => c.user }));
  },
});
