// Everything stateful of one task's stage: its state store, its event clock and its timers. Each
// record is a unit: what it (and the timers it made fire) changed is undone if it fails, so a record
// sent to the dead-letter topic leaves no trace in state either. Opening an environment reads the
// clock and the timers back from the store (after a restore they are the committed ones); a
// window's timers, which are never stored, come back from its state. State with a TTL has no
// timers at all: reads skip what expired, and a sweep removes it a page at a time (sweepExpired).

import {
  clockKey,
  heldKey,
  heldPrefix,
  heldSeqKey,
  parseHeldKey,
  parseTimerKey,
  stateKey,
  timerKey,
  timerPrefix,
} from '../state/state-keys.js';
import type { StateStore } from '../state/state-store.js';
import { type ClockRule, type ClockSnapshot, EventClock } from './event-clock.js';
import { type Timer, TimerQueue } from './timer-queue.js';

const ABSENT = Symbol('absent');

/**
 * Keys of TTL state a sweep looks at per record handled. Were every record to make a new key that
 * expires later, expired keys would wait about a third of a pass over the state at 2 (about as
 * many as live ones at 1): state stays within ~1.3× what is live. Each look is a disk key and a read.
 */
export const SWEEP_PER_RECORD = 2;
/** And per tick (5 a second): what clears expired state while the input is quiet. */
export const SWEEP_PER_TICK = 1_000;

/** A value of state with a TTL: gone once the watermark passes `x` (keyed-step.ts writes it). */
export interface Expiring {
  readonly v: unknown;
  readonly x: number;
}

/** A stateful step of the stage, and how its event-time timers follow from its state, if they do. */
export interface StepTimers {
  readonly name: string;
  /** Its states with a TTL: values `{ v, x }` (or maps of them) gone once the watermark passes `x`. */
  readonly expiring?: readonly { readonly state: string; readonly map: boolean }[] | undefined;
  readonly derived?:
    | {
        readonly state: string;
        readonly times: (value: unknown) => number[];
        /** An entry whose timers all fired is dead (a closed window). */
        readonly deadAfterTimers?: boolean | undefined;
      }
    | undefined;
}

export class StageEnvironment {
  readonly clock: EventClock;
  readonly timers = new TimerQueue();
  /** The watermark last announced to the stages downstream (markers in repartition topics). */
  announced: number;
  /** The idle lag last announced (undefined: the last marker said the task is not idle). */
  announcedLag: number | undefined;
  /** Records marked late since the task started. */
  late = 0;
  readonly #store: StateStore;
  readonly #steps: readonly string[];
  /** Per step: its event-time timers live in memory only (rebuilt from its state). */
  readonly #derived: readonly boolean[];
  /** The states dead once their timers fired: their keys' prefix, and the timers of a value. */
  readonly #mortalStates: { prefix: string; times: (value: unknown) => number[] }[] = [];
  /** Every state with a TTL (its keys' prefix), and where the sweep goes on in them. */
  readonly #expiring: { prefix: string; map: boolean }[] = [];
  #sweep = { state: 0, after: '' };
  /** Records since the last sweep: each pays for SWEEP_PER_RECORD keys looked at. */
  #unswept = 0;
  /** Per record: the JSON text each written key had before (ABSENT: none), and the timer moves. */
  readonly #undo = new Map<string, string | typeof ABSENT>();
  readonly #timerUndo: (() => void)[] = [];
  /** Between begin() and the next begin(): changes are remembered (not while opening or ticking). */
  #recording = false;
  #clock: EventClock;

  constructor(store: StateStore, steps: readonly StepTimers[], rule: ClockRule, now: number) {
    this.#store = store;
    this.#steps = steps.map((s) => s.name);
    this.#derived = steps.map((s) => s.derived !== undefined);
    const first = this.#steps[0];
    const saved = first === undefined ? undefined : (store.get(clockKey(first)) as ClockSnapshot | undefined);
    this.#clock = new EventClock(rule, now, saved);
    this.clock = this.#clock;
    this.announced = this.#clock.watermark;
    for (const { name: step, expiring } of steps)
      for (const { state, map } of expiring ?? [])
        this.#expiring.push({ prefix: stateKey(step, state, ''), map });
    steps.forEach(({ name: step, derived }, index) => {
      for (const [key] of store.scan(timerPrefix(step))) {
        const parsed = parseTimerKey(step, key);
        if (parsed) this.timers.add({ step: index, ...parsed });
      }
      if (!derived) return;
      // Timers at or before the restored watermark had fired when this state was committed.
      const prefix = stateKey(step, derived.state, '');
      const mortal = derived.deadAfterTimers === true;
      if (mortal) this.#mortalStates.push({ prefix, times: derived.times });
      const watermark = this.#clock.watermark;
      for (const [entry, value] of store.scan(prefix)) {
        const times = derived.times(value);
        // Every timer fired: a window closed (and emitted) whose tombstone the changelog did not get.
        if (mortal && times.every((time) => time <= watermark)) store.forget(entry);
        else
          for (const time of times)
            if (time > watermark)
              this.timers.add({ step: index, domain: 'e', time, key: entry.slice(prefix.length) });
      }
    });
  }

  get watermark(): number {
    return this.#clock.watermark;
  }

  get(key: string): unknown {
    return this.#store.get(key);
  }

  put(key: string, value: unknown): void {
    this.#remember(key);
    this.#store.put(key, value);
  }

  delete(key: string): void {
    this.#remember(key);
    if (this.#dead(key)) this.#store.forget(key);
    else this.#store.delete(key);
  }

  addTimer(timer: Timer): void {
    if (!this.timers.add(timer)) return;
    if (!this.#inMemory(timer)) this.put(this.#timerKey(timer), 1);
    this.#timerUndo.push(() => this.timers.cancel(timer));
  }

  cancelTimer(timer: Timer): void {
    if (!this.timers.cancel(timer)) return;
    if (!this.#inMemory(timer)) this.delete(this.#timerKey(timer));
    this.#timerUndo.push(() => this.timers.add(timer));
  }

  /** A timer that fired: it is gone from the store too. */
  firedTimer(timer: Timer): void {
    if (!this.#inMemory(timer)) this.delete(this.#timerKey(timer));
    this.#timerUndo.push(() => this.timers.add(timer));
  }

  /** An event-time timer of a step whose timers follow from its state: never stored. */
  #inMemory(timer: Timer): boolean {
    return timer.domain === 'e' && this.#derived[timer.step] === true;
  }

  /** Before a record: start remembering what it changes (the same undo structures every record). */
  begin(): void {
    this.#unswept++;
    this.#undo.clear();
    this.#timerUndo.length = 0;
    this.#recording = true;
    this.#clock.mark();
  }

  /** The record failed: put back what it changed. */
  rollback(): void {
    this.#recording = false;
    for (const [key, text] of this.#undo)
      text === ABSENT ? this.#store.delete(key) : this.#store.putText(key, text);
    this.#undo.clear();
    for (let i = this.#timerUndo.length - 1; i >= 0; i--) this.#timerUndo[i]?.();
    this.#timerUndo.length = 0;
    this.#clock.rewindToMark();
  }

  /**
   * Keeps results of time passing for sinks outside the task's transaction (sink index → encoded
   * values) in state, numbered: they become durable with the next checkpoint's transaction, and are
   * handed to those sinks only after it committed (heldResults, then release).
   */
  hold(results: Readonly<Record<number, readonly unknown[]>>): void {
    const first = this.#steps[0];
    if (first === undefined) return;
    const seq = ((this.#store.get(heldSeqKey(first)) as number | undefined) ?? 0) + 1;
    this.#store.put(heldSeqKey(first), seq);
    this.#store.put(heldKey(first, seq), results);
  }

  /** The held results, oldest first. */
  heldResults(): [seq: number, results: Record<number, unknown[]>][] {
    const first = this.#steps[0];
    if (first === undefined) return [];
    return [...this.#store.scan(heldPrefix(first))].map(([key, value]) => [
      parseHeldKey(first, key),
      value as Record<number, unknown[]>,
    ]);
  }

  /** Their sinks applied them: gone from state with the next checkpoint. */
  release(seq: number): void {
    const first = this.#steps[0];
    if (first !== undefined) this.#store.delete(heldKey(first, seq));
  }

  /**
   * Removes expired state with a TTL, looking at SWEEP_PER_RECORD keys per record since the last
   * sweep, plus `extra`, from where the last sweep stopped (round the states, then from the start
   * again): Flink's incremental TTL cleanup, instead of a timer per key. What it has not reached yet
   * is expired already for every read, so when it runs changes the state's size, never a result.
   * Called between records (after a batch, on a tick), so no record's undo holds its changes.
   */
  sweepExpired(extra = 0): number {
    const states = this.#expiring;
    const budget = this.#unswept * SWEEP_PER_RECORD + extra;
    this.#unswept = 0;
    if (states.length === 0) return 0;
    const watermark = this.#clock.watermark;
    let removed = 0;
    let looked = 0;
    // At most one page per state and call: a small state is never gone round twice.
    for (let pages = 0; looked < budget && pages <= states.length; pages++) {
      const cursor = this.#sweep;
      const state = states[cursor.state % states.length] as { prefix: string; map: boolean };
      const want = budget - looked;
      const keys = this.#store.keysAfter(state.prefix, cursor.after, want);
      looked += keys.length;
      for (const key of keys) if (this.#expire(key, state.map, watermark)) removed++;
      this.#sweep =
        keys.length < want
          ? { state: (cursor.state + 1) % states.length, after: '' } // this state's end: the next one
          : { state: cursor.state, after: keys.at(-1) as string };
    }
    return removed;
  }

  /** Drops what expired of one TTL state's key; true when anything was removed. */
  #expire(key: string, map: boolean, watermark: number): boolean {
    const stored = this.#store.get(key);
    if (stored === undefined) return false;
    const expired = (e: Expiring | undefined) => typeof e?.x === 'number' && e.x <= watermark;
    if (!map) {
      if (!expired(stored as Expiring)) return false;
      this.#store.delete(key);
      return true;
    }
    const entries = stored as Record<string, Expiring>;
    let changed = false;
    for (const [k, entry] of Object.entries(entries))
      if (expired(entry)) {
        delete entries[k];
        changed = true;
      }
    if (!changed) return false;
    if (Object.keys(entries).length === 0) this.#store.delete(key);
    else this.#store.put(key, entries);
    return true;
  }

  /** Saves the clock when it moved (at a batch's end, after a tick): the state a checkpoint takes. */
  saveClock(): void {
    const first = this.#steps[0];
    if (this.#clock.takeChanged() && first !== undefined)
      this.#store.put(clockKey(first), this.#clock.snapshot());
  }

  /** The key holds state whose timers follow from it, and all of them are at or before the watermark. */
  #dead(key: string): boolean {
    for (const { prefix, times } of this.#mortalStates) {
      if (!key.startsWith(prefix)) continue;
      const value = this.#store.get(key);
      return value !== undefined && times(value).every((time) => time <= this.#clock.watermark);
    }
    return false;
  }

  #remember(key: string): void {
    const undo = this.#undo;
    if (!this.#recording || undo.has(key)) return;
    // Kept as the stored JSON text: no parse on the way in, no serialization on the way back.
    undo.set(key, this.#store.text(key) ?? ABSENT);
  }

  #timerKey(timer: Timer): string {
    return timerKey(this.#steps[timer.step] as string, timer.domain, timer.time, timer.key);
  }
}
