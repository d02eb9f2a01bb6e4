// One stateful step of a compiled stage (a keyed `process` or a window): the contexts its code
// sees, with state and timers scoped to the current key. The step is compiled once and shared by
// the TaskManager's tasks; each call names the task's environment, so one object per step serves
// every record (calls are synchronous: nothing interleaves).

import type { KeyedProcessor, KeyedRecordContext, TimerContext, Timers } from '../../api/keyed-stream.js';
import type { RecordContext } from '../../api/records.js';
import type { MapState, StateDescriptor, StateSpec, ValueState } from '../../api/state.js';
import { stateKey } from '../state/state-keys.js';
import type { Expiring, StageEnvironment } from './stage-environment.js';
import type { Timer } from './timer-queue.js';

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

  /** A timer of this step fired. */
  onTimer(timer: Timer, call: StepCall): void {
    // A cleanup timer of state with a TTL, restored from a store written before expired state was
    // swept instead (StageEnvironment.sweepExpired): not the job's, and the sweep does its work.
    if (timer.domain === 'c') return;
    this.#call = call;
    this.#invocation++;
    this.#timer = { time: timer.time, domain: timer.domain === 'e' ? 'event' : 'processing' };
    this.#processor.onTimer?.(this.#timerContext);
  }

  #accessor(name: string, descriptor: StateDescriptor): ValueState<unknown> | MapState<unknown> {
    const ttl = descriptor.ttlMs;
    const at = () => stateKey(this.name, name, this.#call.key);
    // With a TTL each value carries its expiry: reads skip it once the watermark passed, and the
    // environment's sweep removes it from the store (no timer per key: Flink's incremental cleanup).
    const wrap = (value: unknown): unknown =>
      ttl === undefined ? value : ({ v: value, x: this.#call.timestamp + ttl } satisfies Expiring);
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
