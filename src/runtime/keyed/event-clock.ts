// A task's event time: its watermark, the rule that moves it, and how it is kept. The rule
// (docs/state-and-time.md):
//  - reading a source (stage 0): W = max(W, t − outOfOrderness − 1) after each record of event
//    time t, so a record within the allowed disorder is never behind the watermark;
//  - after a repartition: W = min over the upstream tasks of the last watermark each announced
//    (a marker record in the repartition topic); until every upstream task announced one, W = −∞;
//  - quiet input (stage 0): once the partition was read to its end and nothing came for idleAfter
//    ms, W follows the wall clock: W = W₀ + (now − lastRecordAt − idleAfter), W₀ being the watermark
//    at the last record; a partition that never had a record follows it from now − idleAfter;
//    either way W = now − lag while quiet, and the task says so downstream once (an idle marker
//    with the lag), not on every tick — as Flink's WatermarkStatus.IDLE, so quiet input writes no
//    endless markers;
//  - after a repartition, an upstream task that announced itself idle with lag d counts as
//    max(its last watermark, now − d) in the minimum (the wall clock here); when every upstream task
//    is idle the task is idle itself, with the largest lag;
//  - W never goes back, and is kept in the task's state so a replay sees the same W as the first run.

export const NO_WATERMARK = Number.MIN_SAFE_INTEGER;

export interface ClockSnapshot {
  /** The watermark. */
  readonly w: number;
  /** Per upstream task, the last watermark it announced (stages after a repartition). */
  readonly u?: readonly number[];
  /** Per upstream task, its idle lag when it announced itself idle (null: active). */
  readonly d?: readonly (number | null)[];
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
  /** Per upstream task, its idle lag (W = now − lag) while it is idle, else undefined. */
  #upstreamLag: (number | undefined)[];
  /** Set while the watermark follows the wall clock: W = now − lag. */
  #idleLag: number | undefined;
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
        upstreamLag: (number | undefined)[] | undefined;
        idleLag: number | undefined;
      }
    | undefined;

  constructor(rule: ClockRule, now: number, snapshot?: ClockSnapshot) {
    this.#rule = rule;
    this.#upstream = Array.from({ length: rule.upstream }, (_, i) => snapshot?.u?.[i] ?? NO_WATERMARK);
    this.#upstreamLag = Array.from({ length: rule.upstream }, (_, i) => snapshot?.d?.[i] ?? undefined);
    this.#watermark = snapshot?.w ?? NO_WATERMARK;
    this.#base = this.#watermark;
    this.#lastRecordAt = now;
  }

  get watermark(): number {
    return this.#watermark;
  }

  /** While the watermark follows the wall clock (quiet input): W = now − idleLag. Else undefined. */
  get idleLag(): number | undefined {
    return this.#idleLag;
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
    if (this.#rule.upstream === 0) {
      this.#raise(eventTime - this.#rule.outOfOrdernessMs - 1);
      this.#idleLag = undefined;
    }
    this.#base = this.#watermark;
    return this.#watermark;
  }

  /**
   * An upstream task announced its watermark (stages after a repartition); `idleLag` when it is
   * quiet and its watermark follows the wall clock (W = now − idleLag).
   */
  onMarker(upstream: number, watermark: number, now: number, idleLag?: number): number {
    this.#lastRecordAt = now;
    const before = this.#upstream[upstream];
    if (before === undefined) return this.#watermark;
    if (watermark > before || this.#upstreamLag[upstream] !== idleLag) {
      if (this.#marked && !this.#marked.upstream) {
        this.#marked.upstream = [...this.#upstream];
        this.#marked.upstreamLag = [...this.#upstreamLag];
      }
      this.#upstream[upstream] = Math.max(before, watermark);
      this.#upstreamLag[upstream] = idleLag;
      this.#changed = true;
      this.#followUpstream(now);
    }
    return this.#watermark;
  }

  /** W = min over the upstream tasks, an idle one counting as max(its watermark, now − its lag). */
  #followUpstream(now: number): void {
    let min = Number.MAX_SAFE_INTEGER;
    let allIdle = true;
    let lag = 0;
    for (let i = 0; i < this.#upstream.length; i++) {
      const w = this.#upstream[i] as number;
      const d = this.#upstreamLag[i];
      if (d === undefined) allIdle = false;
      else lag = Math.max(lag, d);
      min = Math.min(min, d === undefined ? w : Math.max(w, now - d));
    }
    this.#raise(min);
    this.#idleLag = allIdle && this.#upstream.length > 0 ? lag : undefined;
  }

  /** Quiet input: lets the watermark follow the wall clock. `caughtUp`: the partition was read to its end. */
  onIdle(now: number, caughtUp: boolean): number {
    const { idleAfterMs, upstream } = this.#rule;
    if (upstream > 0) {
      if (this.#upstreamLag.some((d) => d !== undefined)) this.#followUpstream(now);
      return this.#watermark;
    }
    if (idleAfterMs <= 0 || !caughtUp) return this.#watermark;
    const quiet = now - this.#lastRecordAt - idleAfterMs;
    if (quiet <= 0) return this.#watermark;
    this.#idleLag = this.#base === NO_WATERMARK ? idleAfterMs : this.#lastRecordAt + idleAfterMs - this.#base;
    this.#raise(now - this.#idleLag);
    return this.#watermark;
  }

  /** The end of the input (`--stop-when-idle`): every event-time timer may fire. */
  finish(): number {
    this.#idleLag = undefined;
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
      upstreamLag: undefined,
      idleLag: this.#idleLag,
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
    this.#idleLag = m.idleLag;
    if (m.upstream) this.#upstream = m.upstream;
    if (m.upstreamLag) this.#upstreamLag = m.upstreamLag;
  }

  snapshot(): ClockSnapshot {
    if (this.#rule.upstream === 0) return { w: this.#watermark };
    return { w: this.#watermark, u: [...this.#upstream], d: this.#upstreamLag.map((d) => d ?? null) };
  }

  #raise(to: number): void {
    if (to > this.#watermark) {
      this.#watermark = to;
      this.#changed = true;
    }
  }
}
