// A running top-N per key with map state: for each category, the N products sold most so far,
// emitted whenever that list changes. The map holds one total per product of the category (map
// state suits a few hundred entries per key; it is stored as one entry).
import { defineJob, json, kafkaSink, type MapStateDescriptor, mapState, z } from 'sluice';

const Sale = z.object({ category: z.string(), product: z.string(), quantity: z.number().int().positive() });

export interface TopProducts {
  category: string;
  top: { product: string; sold: number }[];
}

export default defineJob({
  name: 'top-products',
  parameters: z.object({
    input: z.string().default('sales'),
    output: z.string().default('top-products'),
    n: z.number().int().min(1).max(100).default(3),
  }),
  build(job, p) {
    job
      .fromKafka(p.input, json(Sale))
      .keyBy((s) => s.category)
      // The output type is named (with the state's) so the sink's key function is typed.
      .process<TopProducts, { sold: MapStateDescriptor<number> }>({
        name: 'product-totals',
        state: { sold: mapState<number>() },
        onRecord(sale, ctx) {
          const sold = ctx.state.sold;
          const before = topOf(sold.entries(), p.n);
          sold.set(sale.product, (sold.get(sale.product) ?? 0) + sale.quantity);
          const after = topOf(sold.entries(), p.n);
          if (JSON.stringify(after) !== JSON.stringify(before)) ctx.emit({ category: ctx.key, top: after });
        },
      })
      .sinkTo(kafkaSink({ topic: p.output, key: (t) => t.category }));
  },
});

/** The n best sellers, most sold first; ties by product name so every run agrees. */
export function topOf(totals: [string, number][], n: number): TopProducts['top'] {
  return totals
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, n)
    .map(([product, sold]) => ({ product, sold }));
}
