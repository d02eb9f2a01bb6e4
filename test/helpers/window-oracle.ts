// An independent offline computation of window results, for tests: plain loops over the input in
// arrival order, written from the rules in docs/state-and-time.md — not through Sluice's state,
// timers or window code. Single input partition (one clock), or input whose late records are late
// under every interleaving (the caller's choice).

export interface Event {
  readonly user: string;
  readonly t: number;
  readonly n: number;
}

export type Kind =
  | { kind: 'tumbling'; size: number }
  | { kind: 'hopping'; size: number; advance: number }
  | { kind: 'sliding'; size: number }
  | { kind: 'session'; gap: number };

export interface Expected {
  /** `key|start|end` → count */
  readonly windows: Map<string, number>;
  /** Indexes (in arrival order) of the records that are late. */
  readonly late: Set<number>;
}

/** Windows counted over `events` as they arrive, with watermark max(t) − ooo − 1. */
export function expectedCounts(events: readonly Event[], kind: Kind, ooo: number, grace: number): Expected {
  let max = Number.NEGATIVE_INFINITY;
  const late = new Set<number>();
  const onTime: Event[] = [];
  // Fixed windows: a record counts in each of its windows still open when it arrives.
  const fixed = new Map<string, number>();
  events.forEach((e, i) => {
    const w = max - ooo - 1;
    if (isLate(e.t, w, kind, grace)) late.add(i);
    else {
      onTime.push(e);
      if (kind.kind === 'tumbling' || kind.kind === 'hopping') {
        const advance = kind.kind === 'hopping' ? kind.advance : kind.size;
        for (let start = Math.floor(e.t / advance) * advance; start > e.t - kind.size; start -= advance) {
          if (w >= start + kind.size - 1 + grace) continue;
          const id = `${e.user}|${start}|${start + kind.size}`;
          fixed.set(id, (fixed.get(id) ?? 0) + 1);
        }
      }
    }
    max = Math.max(max, e.t);
  });
  const windows = kind.kind === 'tumbling' || kind.kind === 'hopping' ? fixed : countWindows(onTime, kind);
  return { windows, late };
}

function isLate(t: number, w: number, kind: Kind, grace: number): boolean {
  switch (kind.kind) {
    case 'tumbling':
      return w >= Math.floor(t / kind.size) * kind.size + kind.size - 1 + grace;
    case 'hopping':
      return w >= Math.floor(t / kind.advance) * kind.advance + kind.size - 1 + grace;
    case 'sliding':
    case 'session':
      return w >= t + grace;
  }
}

export function countWindows(events: readonly Event[], kind: Kind): Map<string, number> {
  const out = new Map<string, number>();
  const add = (user: string, start: number, end: number, n = 1) => {
    const id = `${user}|${start}|${end}`;
    out.set(id, (out.get(id) ?? 0) + n);
  };
  const byUser = new Map<string, number[]>();
  for (const e of events) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e.t]);
  for (const [user, times] of byUser) {
    times.sort((a, b) => a - b);
    switch (kind.kind) {
      case 'tumbling':
        for (const t of times) {
          const start = Math.floor(t / kind.size) * kind.size;
          add(user, start, start + kind.size);
        }
        break;
      case 'hopping':
        for (const t of times)
          for (
            let start = Math.floor(t / kind.advance) * kind.advance;
            start > t - kind.size;
            start -= kind.advance
          )
            add(user, start, start + kind.size);
        break;
      case 'sliding':
        for (const x of new Set(times))
          out.set(
            `${user}|${x - kind.size}|${x + 1}`,
            times.filter((t) => t >= x - kind.size && t <= x).length,
          );
        break;
      case 'session': {
        let start = times[0] as number;
        let last = start;
        let count = 0;
        for (const t of times) {
          if (t - last >= kind.gap) {
            add(user, start, last + kind.gap, count);
            start = t;
            count = 0;
          }
          last = t;
          count++;
        }
        add(user, start, last + kind.gap, count);
        break;
      }
    }
  }
  return out;
}

/** Events for `users` keys, times mostly rising with disorder up to `disorder` ms. */
export function makeEvents(count: number, users: number, seed: number, disorder: number, step = 7): Event[] {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const events: Event[] = [];
  for (let i = 0; i < count; i++) {
    const base = 1_000_000 + i * step;
    events.push({
      user: `u${Math.floor(random() * users)}`,
      t: base - Math.floor(random() * disorder),
      n: i,
    });
  }
  return events;
}
