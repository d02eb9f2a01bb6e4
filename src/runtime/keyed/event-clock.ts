// A task's event time: its watermark, the rule that moves it, and how it is kept. The rule
// (docs/state-and-time.md):
//  - reading a source (stage 0): W = max(W, t − outOfOrderness − 1) after each record of event
//    time t, so a record within the allowed disorder is never behind the watermark;
//  - after a repartition: W = min over the upstream tasks of the last watermark each announced
//    (a marker record in the repartition topic); until every upstream task announced one, W = −∞;
//  - quiet input (stage 0): once the partition was read to its end and nothing came for idleAfter
//    ms, W follows the wall clock: W = W₀ + (now − lastRecordAt − idleAfter), W₀ being the watermark
//    at the last record; a partition that never had a record follows it from now − idleAfter;
//  - W never goes back, and is kept in the task's state so a replay sees the same W as the first run.

export const NO_WATERMARK = Number.MIN_SAFE_INTEGER;

export interface ClockSnapshot {
  /** The watermark. */
  readonly w: number;
  /** Per upstream task, the last watermark it announced (stages after a repartition). */
  readonly u?: readonly number[];
}

export interface ClockRule {
  readonly outOfOrdernessMs: number;
  readonly idleAfterMs: number;
  /** Upstream tasks (a stage after a repartition); 0 for a stage that reads sources. */
  readonly upstream: number;
}

export class EventClock {
  readonly #rule: ClockRule;
  #watermark = NO_WATERMARK;
  #upstream: number[];
  /** Wall-clock time of the last record, and the watermark then (the base of an idle advance). */
  #lastRecordAt: number;
  #base = NO_WATERMARK;
  #changed = false;
  #marked:
    | {
        watermark: number;
        lastRecordAt: number;
        base: number;
        changed: boolean;
        upstream: number[] | undefined;
      }
    | undefined;

  constructor(rule: ClockRule, now: number, snapshot?: ClockSnapshot) {
    this.#rule = rule;
    this.#upstream = Array.from({ length: rule.upstream }, (_, i) => snapshot?.u?.[i] ?? NO_WATERMARK);
    this.#watermark = snapshot?.w ?? NO_WATERMARK;
    this.#base = this.#watermark;
    this.#lastRecordAt = now;
  }

  get watermark(): number {
    return this.#watermark;
  }

  /** True once since the last `takeChanged`: the clock moved (its state is to be saved). */
  takeChanged(): boolean {
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  /** A record of event time t was read (stage 0). Returns the new watermark. */
  onRecord(eventTime: number, now: number): number {
    this.#lastRecordAt = now;
    if (this.#rule.upstream === 0) this.#raise(eventTime - this.#rule.outOfOrdernessMs - 1);
    this.#base = this.#watermark;
    return this.#watermark;
  }

  /** An upstream task announced its watermark (stages after a repartition). */
  onMarker(upstream: number, watermark: number, now: number): number {
    this.#lastRecordAt = now;
    const before = this.#upstream[upstream];
    if (before !== undefined && watermark > before) {
      if (this.#marked && !this.#marked.upstream) this.#marked.upstream = [...this.#upstream];
      this.#upstream[upstream] = watermark;
      this.#changed = true;
      this.#raise(Math.min(...this.#upstream));
    }
    return this.#watermark;
  }

  /** Quiet input: lets the watermark follow the wall clock. `caughtUp`: the partition was read to its end. */
  onIdle(now: number, caughtUp: boolean): number {
    const { idleAfterMs, upstream } = this.#rule;
    if (idleAfterMs <= 0 || upstream > 0 || !caughtUp) return this.#watermark;
    const quiet = now - this.#lastRecordAt - idleAfterMs;
    if (quiet <= 0) return this.#watermark;
    this.#raise(this.#base === NO_WATERMARK ? now - idleAfterMs : this.#base + quiet);
    return this.#watermark;
  }

  /** The end of the input (`--stop-when-idle`): every event-time timer may fire. */
  finish(): number {
    this.#raise(Number.MAX_SAFE_INTEGER);
    return this.#watermark;
  }

  /** A record's undo point: the clock as it stands (no allocation; upstream copied only if it changes). */
  mark(): void {
    this.#marked = {
      watermark: this.#watermark,
      lastRecordAt: this.#lastRecordAt,
      base: this.#base,
      changed: this.#changed,
      upstream: undefined,
    };
  }

  /** Back to the last mark (the record failed). */
  rewindToMark(): void {
    const m = this.#marked;
    if (!m) return;
    this.#watermark = m.watermark;
    this.#lastRecordAt = m.lastRecordAt;
    this.#base = m.base;
    this.#changed = m.changed;
    if (m.upstream) this.#upstream = m.upstream;
  }

  snapshot(): ClockSnapshot {
    return this.#rule.upstream > 0 ? { w: this.#watermark, u: [...this.#upstream] } : { w: this.#watermark };
  }

  #raise(to: number): void {
    if (to > this.#watermark) {
      this.#watermark = to;
      this.#changed = true;
    }
  }
}
