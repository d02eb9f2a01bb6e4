// A Sluice job: every word of every line, with its length, to an output topic, exactly once.
import { defineJob, json, kafkaSink, z } from 'sluice';

const Line = z.object({ id: z.number().int(), text: z.string() });

export default defineJob({
  name: 'word-lengths',
  parameters: z.object({
    input: z.string().default('lines'),
    output: z.string().default('word-lengths'),
    minLength: z.number().int().min(1).default(1),
  }),
  build(job, p) {
    job
      .fromKafka(p.input, json(Line))
      .flatMap((line) =>
        line.text
          .split(/\s+/)
          .filter(Boolean)
          .map((word, position) => ({ line: line.id, position, word })),
      )
      .filter((w) => w.word.length >= p.minLength)
      .map((w) => ({ ...w, length: w.word.length }))
      .sinkTo(kafkaSink({ topic: p.output, key: (w) => w.word }));
  },
});
