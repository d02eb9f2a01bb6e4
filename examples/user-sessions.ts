// Sessions of user activity: a user's clicks less than 30 s apart (event time) form one session;
// when it is over, one result with its duration and number of clicks — session windows, whose
// accumulators merge when a late click bridges two sessions.
import { defineJob, json, kafkaSink, session, z } from 'sluice';

const Click = z.object({ user: z.string(), action: z.string(), t: z.number().int() });

interface Activity {
  clicks: number;
  first: number;
  last: number;
  actions: Record<string, number>;
}

export default defineJob({
  name: 'user-sessions',
  parameters: z.object({
    input: z.string().default('clicks'),
    output: z.string().default('user-sessions'),
    gapMs: z.number().int().positive().default(30_000),
  }),
  build(job, p) {
    job
      .fromKafka(p.input, json(Click), { timestamp: (c) => c.t, outOfOrdernessMs: 2_000 })
      .keyBy((c) => c.user)
      .window(session(p.gapMs), { graceMs: 5_000 })
      .aggregate<Activity>({
        // Kept in state as JSON: plain numbers and objects only (no Infinity, no Map).
        create: () => ({ clicks: 0, first: 0, last: 0, actions: {} }),
        add: (a, c) => ({
          clicks: a.clicks + 1,
          first: a.clicks === 0 ? c.t : Math.min(a.first, c.t),
          last: a.clicks === 0 ? c.t : Math.max(a.last, c.t),
          actions: { ...a.actions, [c.action]: (a.actions[c.action] ?? 0) + 1 },
        }),
        merge: (a, b) => {
          if (a.clicks === 0) return b;
          if (b.clicks === 0) return a;
          const actions = { ...a.actions };
          for (const [k, n] of Object.entries(b.actions)) actions[k] = (actions[k] ?? 0) + n;
          const first = Math.min(a.first, b.first);
          return { clicks: a.clicks + b.clicks, first, last: Math.max(a.last, b.last), actions };
        },
      })
      .map((w) => ({
        user: w.key,
        start: w.value.first,
        durationMs: w.value.last - w.value.first,
        clicks: w.value.clicks,
        actions: w.value.actions,
      }))
      .sinkTo(kafkaSink({ topic: p.output, key: (s) => s.user }));
  },
});
