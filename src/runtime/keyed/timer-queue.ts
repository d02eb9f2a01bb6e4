// A task's timers, in firing order: (time, step, key). Each timer is also an entry in the task's
// state store (state-keys.ts), so it is durable and restored with the state — except those of a
// step that derives them from its state (windows) — and this queue is the in-memory index over
// them, rebuilt from the store when a task opens. A timer set twice exists
// once; a cancelled one is skipped when it comes up (lazy deletion keeps `cancel` O(1)).

import type { TimerDomain } from '../state/state-keys.js';

export interface Timer {
  readonly time: number;
  /** The index of the stateful step (its order in the stage): equal times fire step by step. */
  readonly step: number;
  readonly domain: TimerDomain;
  readonly key: string;
}

const idOf = (t: Timer) => `${t.step}|${t.domain}|${t.time}|${t.key}`;

/** A heap entry: the timer and its id, made once (the top is looked at before every record). */
interface Entry {
  readonly timer: Timer;
  readonly id: string;
}

function before({ timer: a }: Entry, { timer: b }: Entry): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.step !== b.step) return a.step < b.step;
  return a.key < b.key;
}

export class TimerQueue {
  /** One heap per clock: event-time timers (event and cleanup) fire on the watermark, processing-time ones on the wall clock. */
  readonly #event: Entry[] = [];
  readonly #processing: Entry[] = [];
  readonly #live = new Set<string>();

  get size(): number {
    return this.#live.size;
  }

  has(timer: Timer): boolean {
    return this.#live.has(idOf(timer));
  }

  /** True when the timer is new. */
  add(timer: Timer): boolean {
    const id = idOf(timer);
    if (this.#live.has(id)) return false;
    this.#live.add(id);
    push(timer.domain === 'p' ? this.#processing : this.#event, { timer, id });
    return true;
  }

  /** True when the timer existed. */
  cancel(timer: Timer): boolean {
    return this.#live.delete(idOf(timer));
  }

  /** The next event-time timer due at or before `time`, removed; undefined when none. */
  nextEventDue(time: number): Timer | undefined {
    return this.#nextDue(this.#event, time);
  }

  nextProcessingDue(time: number): Timer | undefined {
    return this.#nextDue(this.#processing, time);
  }

  /** The earliest live event-time timer (for "is anything waiting for time to pass"). */
  earliestEvent(): number | undefined {
    return this.#peek(this.#event)?.timer.time;
  }

  #nextDue(heap: Entry[], time: number): Timer | undefined {
    const top = this.#peek(heap);
    if (!top || top.timer.time > time) return undefined;
    pop(heap);
    this.#live.delete(top.id);
    return top.timer;
  }

  /** The first live timer, dropping cancelled ones from the top. */
  #peek(heap: Entry[]): Entry | undefined {
    while (heap.length > 0) {
      const top = heap[0] as Entry;
      if (this.#live.has(top.id)) return top;
      pop(heap);
    }
    return undefined;
  }
}

function push(heap: Entry[], entry: Entry): void {
  heap.push(entry);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i] as Entry, heap[parent] as Entry)) break;
    [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
    i = parent;
  }
}

function pop(heap: Entry[]): void {
  const last = heap.pop();
  if (heap.length === 0 || !last) return;
  heap[0] = last;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let min = i;
    if (l < heap.length && before(heap[l] as Entry, heap[min] as Entry)) min = l;
    if (r < heap.length && before(heap[r] as Entry, heap[min] as Entry)) min = r;
    if (min === i) return;
    [heap[i], heap[min]] = [heap[min] as Entry, heap[i] as Entry];
    i = min;
  }
}
