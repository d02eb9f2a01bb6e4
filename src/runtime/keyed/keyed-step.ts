// One stateful step of a compiled stage (a keyed `process` or a window): the contexts its code
// sees, with state and timers scoped to the current key. The step is compiled once and shared by
// the TaskManager's tasks; each call names the task's environment, so one object per step serves
// every record (calls are synchronous: nothing interleaves).

import type { KeyedProcessor, KeyedRecordContext, TimerContext, Timers } from '../../api/keyed-stream.js';
import type { RecordContext } from '../../api/records.js';
import type { MapState, StateDescriptor, StateSpec, ValueState } from '../../api/state.js';
import { stateKey } from '../state/state-keys.js';
import type { StageEnvironment } from './stage-environment.js';
import type { Timer } from './timer-queue.js';

/** A value kept with an expiry (state with ttlMs): gone once the watermark passes `x`. */
interface Expiring {
  readonly v: unknown;
  readonly x: number;
}

/** What one call of a step works on: the task's environment, the key, the time, where results go. */
export interface StepCall {
  env: StageEnvironment;
  key: string;
  timestamp: number;
  now: number;
  record: RecordContext;
  emit: (value: unknown) => void;
  /** The step marked the record late. */
  late: () => void;
  /** The step rejected the record (dead letter with a reason). */
  reject: (reason: string) => void;
}

export class KeyedStep {
  readonly index: number;
  readonly name: string;
  readonly #processor: KeyedProcessor<unknown, unknown, StateSpec>;
  /** The step's states with a TTL, and whether each is a map. */
  readonly #ttl: [string, boolean][];
  #call!: StepCall;
  /** Counts calls of the job's code (records and timers): what a map state read once is good for. */
  #invocation = 0;
  #timer: { time: number; domain: 'event' | 'processing' } = { time: 0, domain: 'event' };
  readonly #state: Record<string, ValueState<unknown> | MapState<unknown>> = {};
  readonly #timers: Timers;
  readonly #recordContext: KeyedRecordContext<unknown, StateSpec>;
  readonly #timerContext: TimerContext<unknown, StateSpec>;

  constructor(index: number, processor: KeyedProcessor<unknown, unknown, StateSpec>) {
    this.index = index;
    this.name = processor.name;
    this.#processor = processor;
    const spec = processor.state ?? {};
    this.#ttl = Object.entries(spec).flatMap(([name, d]) =>
      d.ttlMs ? [[name, d.kind === 'map'] as [string, boolean]] : [],
    );
    for (const [name, descriptor] of Object.entries(spec))
      this.#state[name] = this.#accessor(name, descriptor);
    const step = this;
    const timer = (domain: 'e' | 'p', time: number): Timer => ({
      time,
      step: step.index,
      domain,
      key: step.#call.key,
    });
    this.#timers = {
      atEventTime: (time) => step.#call.env.addTimer(timer('e', checkTime(time))),
      atProcessingTime: (time) => step.#call.env.addTimer(timer('p', checkTime(time))),
      cancelEventTime: (time) => step.#call.env.cancelTimer(timer('e', time)),
      cancelProcessingTime: (time) => step.#call.env.cancelTimer(timer('p', time)),
    };
    const base = {
      get key() {
        return step.#call.key;
      },
      get timestamp() {
        return step.#call.timestamp;
      },
      get watermark() {
        return step.#call.env.watermark;
      },
      get processingTime() {
        return step.#call.now;
      },
      state: this.#state,
      timers: this.#timers,
      emit: (value: unknown) => step.#call.emit(value),
    };
    this.#recordContext = Object.defineProperties(
      {
        deadLetter: (reason: string) => step.#call.reject(reason),
        late: () => step.#call.late(),
      },
      {
        ...Object.getOwnPropertyDescriptors(base),
        record: { get: () => step.#call.record },
      },
    ) as KeyedRecordContext<unknown, StateSpec>;
    this.#timerContext = Object.defineProperties(
      {},
      { ...Object.getOwnPropertyDescriptors(base), timer: { get: () => step.#timer } },
    ) as TimerContext<unknown, StateSpec>;
  }

  onRecord(value: unknown, call: StepCall): void {
    this.#call = call;
    this.#invocation++;
    this.#processor.onRecord(value, this.#recordContext);
  }

  /** A timer of this step fired; `cleanup` timers expire state with a TTL and are not the job's. */
  onTimer(timer: Timer, call: StepCall): void {
    this.#call = call;
    this.#invocation++;
    if (timer.domain === 'c') {
      this.#expire();
      return;
    }
    this.#timer = { time: timer.time, domain: timer.domain === 'e' ? 'event' : 'processing' };
    this.#processor.onTimer?.(this.#timerContext);
  }

  /** Removes this key's entries whose time is up. */
  #expire(): void {
    const { env, key } = this.#call;
    for (const [name, isMap] of this.#ttl) {
      const storeKey = stateKey(this.name, name, key);
      const stored = env.get(storeKey);
      if (stored === undefined) continue;
      if (!isMap) {
        if ((stored as Expiring).x <= env.watermark) env.delete(storeKey);
        continue;
      }
      // A map: drop the expired entries, keep the rest.
      const map = stored as Record<string, Expiring>;
      let changed = false;
      for (const [k, entry] of Object.entries(map))
        if (entry.x <= env.watermark) {
          delete map[k];
          changed = true;
        }
      if (!changed) continue;
      if (Object.keys(map).length === 0) env.delete(storeKey);
      else env.put(storeKey, map);
    }
  }

  #accessor(name: string, descriptor: StateDescriptor): ValueState<unknown> | MapState<unknown> {
    const ttl = descriptor.ttlMs;
    const at = () => stateKey(this.name, name, this.#call.key);
    // With a TTL each value carries its expiry; the cleanup timer removes it once the watermark passes.
    const wrap = (value: unknown): unknown => {
      if (ttl === undefined) return value;
      const x = this.#call.timestamp + ttl;
      this.#call.env.addTimer({ time: x, step: this.index, domain: 'c', key: this.#call.key });
      return { v: value, x } satisfies Expiring;
    };
    const unwrap = (stored: unknown): unknown => {
      if (ttl === undefined || stored === undefined) return stored;
      const e = stored as Expiring;
      return e.x <= this.#call.env.watermark ? undefined : e.v;
    };
    if (descriptor.kind === 'value') {
      const state: ValueState<unknown> = {
        get: () => unwrap(this.#call.env.get(at())),
        set: (value) => this.#call.env.put(at(), wrap(value)),
        clear: () => this.#call.env.delete(at()),
      };
      return state;
    }
    // A map is one JSON value: read (parsed) once per call of the job's code, not once per get/set.
    let memo: { key: string; invocation: number; map: Record<string, unknown> } | undefined;
    const read = (): Record<string, unknown> => {
      const key = at();
      if (memo?.invocation === this.#invocation && memo.key === key) return memo.map;
      const map = (this.#call.env.get(key) as Record<string, unknown>) ?? {};
      memo = { key, invocation: this.#invocation, map };
      return map;
    };
    const write = (map: Record<string, unknown>) => {
      if (Object.keys(map).length === 0) this.#call.env.delete(at());
      else this.#call.env.put(at(), map);
    };
    const live = (): [string, unknown][] =>
      Object.entries(read()).flatMap(([k, v]) => {
        const value = unwrap(v);
        return value === undefined ? [] : [[k, value] as [string, unknown]];
      });
    return {
      get: (k) => unwrap(read()[k]),
      set: (k, value) => {
        const map = read();
        map[k] = wrap(value);
        write(map);
      },
      delete: (k) => {
        const map = read();
        if (!(k in map)) return;
        delete map[k];
        write(map);
      },
      has: (k) => unwrap(read()[k]) !== undefined,
      keys: () => live().map(([k]) => k),
      entries: () => live(),
      get size() {
        return live().length;
      },
      clear: () => {
        memo = undefined;
        this.#call.env.delete(at());
      },
    };
  }
}

function checkTime(time: number): number {
  if (!Number.isFinite(time))
    throw new TypeError(`a timer's time must be a number of epoch ms, got ${String(time)}`);
  return Math.floor(time);
}
