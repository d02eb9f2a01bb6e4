// The restore benchmark's job (the Kafka Streams peer runs the same, CountPerKey.java's
// `groupByKey().count()`): a running count per key in keyed state, each update written out, exactly
// once. Its state — one entry per key — lives in LMDB and the `keyed-count-counts-changelog` topic,
// which is what a new owner of a partition restores. The input is partitioned by key already.

import { defineJob, json, kafkaSink, type ValueStateDescriptor, valueState, z } from 'sluice';

const KeyedMessage = z.object({
  id: z.number().int().positive(),
  key: z.string().min(1),
  payload: z.string(),
});

export default defineJob({
  name: 'keyed-count',
  description: 'Counts records per key in keyed state and writes every new count, exactly once',
  parameters: z.object({ topic: z.string(), output: z.string() }),
  build(job, p) {
    job
      .fromKafka(p.topic, json(KeyedMessage))
      .keyBy((m) => m.key, { repartition: false })
      .process<{ key: string; n: number }, { n: ValueStateDescriptor<number> }>({
        name: 'counts',
        state: { n: valueState<number>() },
        onRecord(_m, ctx) {
          const n = (ctx.state.n.get() ?? 0) + 1;
          ctx.state.n.set(n);
          ctx.emit({ key: ctx.key, n });
        },
      })
      .sinkTo(kafkaSink({ topic: p.output, key: (c) => c.key, value: (c) => String(c.n) }));
  },
});
