// The windowed benchmark job (the Kafka Streams peer runs the same, WindowedCount.java): count the
// records of each key per tumbling window of event time, exactly once, one final result per window
// when it closes. Event time is the record's id in ms (so the bench input spans windows however
// fast it was written); the input is partitioned by key already, so no repartition.

import { defineJob, json, kafkaSink, tumbling, z } from 'sluice';

const KeyedMessage = z.object({
  id: z.number().int().positive(),
  key: z.string().min(1),
  payload: z.string(),
});

export default defineJob({
  name: 'windowed-count',
  description: 'Counts records per key in tumbling event-time windows, exactly once',
  parameters: z.object({
    topic: z.string(),
    output: z.string(),
    windowMs: z.number().int().positive().default(10_000),
  }),
  build(job, p) {
    job
      // No disorder in this input, and no idle advance: windows close on event time only, as in
      // Kafka Streams (stream time), so both emit the same windows.
      .fromKafka(p.topic, json(KeyedMessage), { timestamp: (m) => m.id, outOfOrdernessMs: 0, idleAfterMs: 0 })
      .keyBy((m) => m.key, { repartition: false })
      .window(tumbling(p.windowMs))
      .count()
      .sinkTo(
        kafkaSink({ topic: p.output, key: (w) => `${w.key}@${w.start}`, value: (w) => String(w.value) }),
      );
  },
});
