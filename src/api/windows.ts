// Windows over event time on a keyed stream: tumbling, hopping, sliding and session windows, each
// aggregated by `count`, `reduce` or `aggregate`. A window is a keyed step like any other: its
// accumulators live in keyed state and it closes on an event-time timer, so it is exactly once and
// restored like any state. The rules (docs/state-and-time.md):
//  - a window [start, end) closes when the watermark reaches end - 1 + grace; with `emit: 'close'`
//    (the default) its one final result is emitted then;
//  - a record is late when every window it belongs to has closed; late records go to the
//    dead-letter topic with reason `late`, and are never counted.

import type { DataStream } from './data-stream.js';
import type { KeyedProcessor, KeyedRecordContext, TimerContext } from './keyed-stream.js';
import type { Sink } from './sinks.js';
import { type MapStateDescriptor, mapState, type ValueStateDescriptor, valueState } from './state.js';

export type WindowAssigner =
  | { readonly kind: 'tumbling'; readonly sizeMs: number }
  | { readonly kind: 'hopping'; readonly sizeMs: number; readonly advanceMs: number }
  | { readonly kind: 'sliding'; readonly sizeMs: number }
  | { readonly kind: 'session'; readonly gapMs: number };

/** Back-to-back windows of `sizeMs`: [0, size), [size, 2·size), ... (epoch-aligned). */
export function tumbling(sizeMs: number): WindowAssigner {
  return { kind: 'tumbling', sizeMs: positive('sizeMs', sizeMs) };
}

/** Windows of `sizeMs` starting every `advanceMs` (overlapping when advance < size). */
export function hopping(sizeMs: number, advanceMs: number): WindowAssigner {
  positive('advanceMs', advanceMs);
  if (advanceMs > sizeMs) throw new TypeError(`advanceMs (${advanceMs}) must not exceed sizeMs (${sizeMs})`);
  return { kind: 'hopping', sizeMs: positive('sizeMs', sizeMs), advanceMs };
}

/**
 * One window per distinct event time t of a key, looking back `sizeMs`: [t - size, t] (both ends
 * included), with every record of the key in it — Kafka Streams' sliding windows, each record's view
 * of the last `sizeMs`.
 */
export function sliding(sizeMs: number): WindowAssigner {
  return { kind: 'sliding', sizeMs: positive('sizeMs', sizeMs) };
}

/** Records of a key less than `gapMs` apart form one session: [first, last + gap). */
export function session(gapMs: number): WindowAssigner {
  return { kind: 'session', gapMs: positive('gapMs', gapMs) };
}

/** "tumbling 10s, grace 1s, emit on close": how the dashboard's plan names a window step. */
function describeWindow(assigner: WindowAssigner, options: Omit<WindowOptions, 'lateTo'>): string {
  const ms = (n: number) => (n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`);
  const shape =
    assigner.kind === 'hopping'
      ? `hopping ${ms(assigner.sizeMs)} every ${ms(assigner.advanceMs)}`
      : assigner.kind === 'session'
        ? `session gap ${ms(assigner.gapMs)}`
        : `${assigner.kind} ${ms(assigner.sizeMs)}`;
  const emit = options.emit === 'update' ? 'emit on update' : 'emit on close';
  return `${shape}, grace ${ms(options.graceMs ?? 0)}, ${emit}`;
}

function positive(name: string, value: number): number {
  if (!(Number.isSafeInteger(value) && value > 0))
    throw new TypeError(`${name} must be a positive whole number of milliseconds, got ${String(value)}`);
  return value;
}

export interface WindowOptions<T = unknown> {
  /** Names the window's state and changelog; default `<kind>-window` (two windows need names). */
  readonly name?: string;
  /** How long after a window's end (in event time) records are still counted into it. Default 0. */
  readonly graceMs?: number;
  /** 'close' (default): one final result per window when it closes; 'update': a result on every change. */
  readonly emit?: 'close' | 'update';
  /**
   * Where records later than the grace go, as they reached the window (Flink's side output for
   * late data); default: the dead-letter topic, with reason `RECORD_LATE`. Either way they count
   * in no window and show as late on the dashboard and in `/metrics`.
   */
  readonly lateTo?: Sink<T>;
}

export interface WindowResult<R> {
  readonly key: string;
  /** Window start (epoch ms, included). */
  readonly start: number;
  /** Window end (epoch ms, excluded). For a session: the last record's time + gap. */
  readonly end: number;
  readonly value: R;
}

/** An aggregation: an accumulator per window, made, added to, merged (session windows), read out. */
export interface Aggregator<T, A, R = A> {
  create(): A;
  add(accumulator: A, value: T): A;
  /** Needed by session windows, whose windows merge when a record bridges two sessions. */
  merge?(a: A, b: A): A;
  result?(accumulator: A): R;
}

type Processor = KeyedProcessor<unknown, WindowResult<unknown>, WindowState>;

export class WindowedStream<T> {
  readonly #assigner: WindowAssigner;
  readonly #options: WindowOptions<T>;
  readonly #process: (processor: Processor) => DataStream<WindowResult<unknown>>;

  constructor(
    assigner: WindowAssigner,
    options: WindowOptions<T>,
    process: (processor: Processor) => DataStream<WindowResult<unknown>>,
  ) {
    if (options.graceMs !== undefined && !(Number.isSafeInteger(options.graceMs) && options.graceMs >= 0))
      throw new TypeError(
        `graceMs must be a whole number of milliseconds ≥ 0, got ${String(options.graceMs)}`,
      );
    this.#assigner = assigner;
    this.#options = options;
    this.#process = process;
  }

  /** The number of records per window. */
  count(): DataStream<WindowResult<number>> {
    return this.aggregate<number>({ create: () => 0, add: (n) => n + 1, merge: (a, b) => a + b });
  }

  /** Combines each window's records pairwise with `fn` (the first record is the start). */
  reduce(fn: (a: T, b: T) => T): DataStream<WindowResult<T>> {
    return this.aggregate<{ v: T } | null, T>({
      create: () => null,
      add: (acc, value) => ({ v: acc === null ? value : fn(acc.v, value) }),
      merge: (a, b) => (a === null ? b : b === null ? a : { v: fn(a.v, b.v) }),
      result: (acc) => (acc as { v: T }).v,
    });
  }

  /** The general form: an accumulator per window (JSON-serializable: it is kept in state). */
  aggregate<A, R = A>(aggregator: Aggregator<T, A, R>): DataStream<WindowResult<R>> {
    if (this.#assigner.kind === 'session' && !aggregator.merge)
      throw new TypeError('session windows merge: give the aggregator a merge(a, b) function');
    const processor = windowProcessor(
      this.#assigner,
      this.#options,
      aggregator as unknown as Aggregator<unknown, unknown, unknown>,
    );
    return this.#process({
      ...processor,
      description: describeWindow(this.#assigner, this.#options),
    }) as unknown as DataStream<WindowResult<R>>;
  }
}

interface Session {
  start: number;
  last: number;
  acc: unknown;
}

type WindowState = {
  windows: MapStateDescriptor<unknown>;
  records: MapStateDescriptor<unknown[]>;
  sessions: ValueStateDescriptor<Session[]>;
};

/** The keyed step behind every window: accumulators in state, an event-time timer per window close. */
function windowProcessor(
  assigner: WindowAssigner,
  options: Omit<WindowOptions, 'lateTo'>,
  agg: Aggregator<unknown, unknown, unknown>,
): Processor {
  const grace = options.graceMs ?? 0;
  const eager = options.emit === 'update';
  const result = (acc: unknown) => (agg.result ? agg.result(acc) : acc);
  const state: WindowState = { windows: mapState(), records: mapState(), sessions: valueState() };
  const name = options.name ?? `${assigner.kind}-window`;
  type RecordCtx = KeyedRecordContext<WindowResult<unknown>, WindowState>;
  type TimerCtx = TimerContext<WindowResult<unknown>, WindowState>;

  switch (assigner.kind) {
    case 'tumbling':
    case 'hopping': {
      const size = assigner.sizeMs;
      const advance = assigner.kind === 'hopping' ? assigner.advanceMs : size;
      const closesAt = (start: number) => start + size - 1 + grace;
      return {
        name,
        state,
        // A window's timer is its close: one per open window (an entry of the key's map).
        eventTimersFrom: {
          state: 'windows',
          times: (map) => Object.keys(map as Record<string, unknown>).map((start) => closesAt(Number(start))),
          deadAfterTimers: true,
        },
        onRecord(value, ctx: RecordCtx) {
          const t = ctx.timestamp;
          const last = Math.floor(t / advance) * advance;
          if (ctx.watermark >= closesAt(last)) return ctx.late();
          for (let start = last; start > t - size; start -= advance) {
            if (ctx.watermark >= closesAt(start)) continue;
            const at = String(start);
            const acc = agg.add(ctx.state.windows.get(at) ?? agg.create(), value);
            ctx.state.windows.set(at, acc);
            ctx.timers.atEventTime(closesAt(start));
            if (eager) ctx.emit({ key: ctx.key, start, end: start + size, value: result(acc) });
          }
        },
        onTimer(ctx: TimerCtx) {
          const start = ctx.timer.time - (size - 1 + grace);
          const at = String(start);
          const acc = ctx.state.windows.get(at);
          if (acc === undefined) return;
          ctx.state.windows.delete(at);
          if (!eager) ctx.emit({ key: ctx.key, start, end: start + size, value: result(acc) });
        },
      };
    }
    case 'sliding': {
      const size = assigner.sizeMs;
      const windowAt = (ctx: RecordCtx | TimerCtx, x: number) => {
        let acc = agg.create();
        for (const [time, values] of ctx.state.records.entries()) {
          const t = Number(time);
          if (t >= x - size && t <= x) for (const v of values) acc = agg.add(acc, v);
        }
        return { key: ctx.key, start: x - size, end: x + 1, value: result(acc) };
      };
      return {
        name,
        state,
        // Each record time t kept has its timer at t + grace (those before the watermark had fired).
        eventTimersFrom: {
          state: 'records',
          times: (map) => Object.keys(map as Record<string, unknown>).map((time) => Number(time) + grace),
        },
        onRecord(value, ctx: RecordCtx) {
          const t = ctx.timestamp;
          if (ctx.watermark >= t + grace) return ctx.late();
          const at = String(t);
          const values = ctx.state.records.get(at) ?? [];
          values.push(value);
          ctx.state.records.set(at, values);
          ctx.timers.atEventTime(t + grace);
          if (!eager) return;
          // Every open window that sees this record changed: its own and the later ones within size.
          for (const time of ctx.state.records.keys()) {
            const x = Number(time);
            if (x >= t && x <= t + size && ctx.watermark < x + grace) ctx.emit(windowAt(ctx, x));
          }
        },
        onTimer(ctx: TimerCtx) {
          const x = ctx.timer.time - grace;
          if (!eager && ctx.state.records.has(String(x))) ctx.emit(windowAt(ctx, x));
          // Records no window still to close can see: those windows end at x or later.
          for (const time of ctx.state.records.keys())
            if (Number(time) < x - size) ctx.state.records.delete(time);
        },
      };
    }
    case 'session': {
      const gap = assigner.gapMs;
      const merge = agg.merge as (a: unknown, b: unknown) => unknown;
      const closesAt = (s: Session) => s.last + gap - 1 + grace;
      return {
        name,
        state,
        // One timer per open session: its close.
        eventTimersFrom: {
          state: 'sessions',
          times: (sessions) => (sessions as Session[]).map(closesAt),
          deadAfterTimers: true,
        },
        onRecord(value, ctx: RecordCtx) {
          const t = ctx.timestamp;
          // It could belong to a session that already closed: late once the watermark passed t + grace.
          if (ctx.watermark >= t + grace) return ctx.late();
          const sessions = ctx.state.sessions.get() ?? [];
          let merged: Session = { start: t, last: t, acc: agg.add(agg.create(), value) };
          const kept: Session[] = [];
          for (const s of sessions) {
            if (t > s.start - gap && t < s.last + gap) {
              ctx.timers.cancelEventTime(closesAt(s));
              merged = {
                start: Math.min(s.start, merged.start),
                last: Math.max(s.last, merged.last),
                acc: merge(s.acc, merged.acc),
              };
            } else kept.push(s);
          }
          kept.push(merged);
          kept.sort((a, b) => a.start - b.start);
          ctx.state.sessions.set(kept);
          ctx.timers.atEventTime(closesAt(merged));
          if (eager)
            ctx.emit({
              key: ctx.key,
              start: merged.start,
              end: merged.last + gap,
              value: result(merged.acc),
            });
        },
        onTimer(ctx: TimerCtx) {
          const sessions = ctx.state.sessions.get() ?? [];
          const closing = sessions.filter((s) => closesAt(s) <= ctx.timer.time);
          if (closing.length === 0) return;
          const open = sessions.filter((s) => closesAt(s) > ctx.timer.time);
          if (open.length > 0) ctx.state.sessions.set(open);
          else ctx.state.sessions.clear();
          if (!eager)
            for (const s of closing)
              ctx.emit({ key: ctx.key, start: s.start, end: s.last + gap, value: result(s.acc) });
        },
      };
    }
  }
}
