// The seed's progress lines (📨 and ⚖️ LOAD BALANCE STATUS) at a sensible cadence: each time the
// TaskManager's total crosses a multiple of `every`, and at most every few seconds otherwise while
// records keep coming, so the last figures of a burst are always shown. Never per message.

import type { EventLog } from '../logging/event-log.js';

export interface ProgressReporterOptions {
  taskManagerId: string;
  every: number;
  /** Longest time between two lines while the count is changing. */
  maxSilenceMs?: number;
  now?: () => number;
}

export class ProgressReporter {
  readonly #events: EventLog;
  readonly #options: Required<ProgressReporterOptions>;
  #nextThreshold: number;
  #lastLineAt: number;
  #reported = 0;
  #last: { consumed: number; topic: string; partition: number; offset: number; owned: number } | undefined;

  constructor(events: EventLog, options: ProgressReporterOptions) {
    this.#events = events;
    this.#options = { maxSilenceMs: 5000, now: Date.now, ...options };
    this.#nextThreshold = options.every;
    this.#lastLineAt = this.#options.now();
  }

  /** After each applied batch. */
  record(consumed: number, topic: string, partition: number, offset: number, owned: number): void {
    this.#last = { consumed, topic, partition, offset, owned };
    if (consumed >= this.#nextThreshold) {
      while (this.#nextThreshold <= consumed) this.#nextThreshold += this.#options.every;
      this.#emit();
    }
  }

  /** On a timer: a line if records arrived since the last one and it has been quiet too long. */
  tick(): void {
    if (this.#last && this.#last.consumed !== this.#reported) {
      if (this.#options.now() - this.#lastLineAt >= this.#options.maxSilenceMs) this.#emit();
    }
  }

  /** Reports what is left unreported (on shutdown). */
  flush(): void {
    if (this.#last && this.#last.consumed !== this.#reported) this.#emit();
  }

  #emit(): void {
    const last = this.#last;
    if (!last) return;
    const { taskManagerId } = this.#options;
    this.#events.emit({
      type: 'taskmanager.progress',
      taskManagerId,
      topic: last.topic,
      consumed: last.consumed,
      partition: last.partition,
      offset: last.offset,
    });
    this.#events.emit({
      type: 'taskmanager.load_balance_status',
      taskManagerId,
      partitions: last.owned,
      consumed: last.consumed,
    });
    this.#reported = last.consumed;
    this.#lastLineAt = this.#options.now();
  }
}
