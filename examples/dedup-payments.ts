// De-duplication by id: a payment resent by its producer (a retry, a replayed batch) passes once.
// The id is remembered in keyed value state for `ttlMs` of event time, then forgotten — so state
// stays bounded while every duplicate within that horizon is dropped, exactly once across failures.
import { defineJob, json, kafkaSink, type ValueStateDescriptor, valueState, z } from 'sluice';

const Payment = z.object({ id: z.string(), account: z.string(), amount: z.number(), t: z.number().int() });
type Payment = z.infer<typeof Payment>;

export default defineJob({
  name: 'dedup-payments',
  parameters: z.object({
    input: z.string().default('payments'),
    output: z.string().default('payments-unique'),
    /** How long (event time) an id is remembered: duplicates later than this pass again. */
    ttlMs: z
      .number()
      .int()
      .positive()
      .default(10 * 60_000),
  }),
  build(job, p) {
    job
      .fromKafka(p.input, json(Payment), { timestamp: (v) => v.t, outOfOrdernessMs: 5_000 })
      .keyBy((v) => v.id)
      .process<Payment, { seen: ValueStateDescriptor<number> }>({
        name: 'seen-ids',
        state: { seen: valueState<number>({ ttlMs: p.ttlMs }) },
        onRecord(payment, ctx) {
          if (ctx.state.seen.get() !== undefined) return; // a duplicate: drop it
          ctx.state.seen.set(payment.t);
          ctx.emit(payment);
        },
      })
      .sinkTo(kafkaSink({ topic: p.output, key: (v) => v.account }));
  },
});
