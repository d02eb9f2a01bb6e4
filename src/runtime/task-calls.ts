// How a task calls the outside world (connectors, the lease store, the dead-letter topic): retried
// until they land or the task closes, and watched, so a call that does not return shows up in the
// TaskManager's log with what it was ("writing to sink 'kafka:out' has not returned for 12 s").

import { setTimeout as sleep } from 'node:timers/promises';
import type { DeadLetter } from '../connectors/kafka/dead-letter-queue.js';
import { isPermanent, type PhaseOutcome } from '../connectors/sink-connector.js';

/** What a retried call returns when the task closed while it was retrying. */
export const CLOSED: unique symbol = Symbol('closed');

export interface TaskCallOptions {
  /** True once the task is closed: retrying stops. */
  readonly closed: () => boolean;
  /** Told about each failed attempt. */
  readonly onError?: ((what: string, error: unknown, attempt: number) => void) | undefined;
  /** Wait before retry `attempt` (tests pass 0). */
  readonly backoffMs?: ((attempt: number) => number) | undefined;
}

export interface Waiting {
  readonly what: string;
  readonly since: number;
}

/** A retried call that keeps failing: the task cannot move on until it lands. */
export interface Blocked {
  readonly what: string;
  /** When its first attempt failed. */
  readonly since: number;
  /** The last attempt's error. */
  readonly error: string;
  readonly attempts: number;
}

export class TaskCalls {
  readonly #o: TaskCallOptions;
  /** The calls in progress, and since when. */
  readonly #waits = new Set<Waiting>();
  /** Retried calls whose last attempt failed. */
  readonly #failing = new Set<{ what: string; since: number; error: string; attempts: number }>();

  constructor(options: TaskCallOptions) {
    this.#o = options;
  }

  /** The call in progress that started first. */
  oldest(): Waiting | undefined {
    let oldest: Waiting | undefined;
    for (const wait of this.#waits) if (!oldest || wait.since < oldest.since) oldest = wait;
    return oldest;
  }

  /** The retried call that has been failing longest (a sink refusing writes, a store out of memory). */
  blocked(): Blocked | undefined {
    let oldest: Blocked | undefined;
    for (const f of this.#failing) if (!oldest || f.since < oldest.since) oldest = f;
    return oldest && { ...oldest };
  }

  async waitOn<T>(what: string, call: () => Promise<T> | T): Promise<T> {
    const waiting = { what, since: Date.now() };
    this.#waits.add(waiting);
    try {
      return await call();
    } finally {
      this.#waits.delete(waiting);
    }
  }

  /**
   * Retries `call` until it lands or the task closes. Connectors make every retried call safe to
   * repeat (the same epoch and range). An error that says retrying cannot help goes to `permanent`.
   */
  async retry<T>(
    what: string,
    call: () => Promise<T>,
    permanent?: (error: unknown) => T,
  ): Promise<T | typeof CLOSED> {
    let failing: { what: string; since: number; error: string; attempts: number } | undefined;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.waitOn(what, call);
        } catch (error) {
          if (this.#o.closed()) return CLOSED;
          if (permanent && isPermanent(error)) return permanent(error);
          this.#o.onError?.(what, error, attempt);
          const message = error instanceof Error ? error.message : String(error);
          if (!failing) {
            failing = { what, since: Date.now(), error: message, attempts: attempt };
            this.#failing.add(failing);
          } else {
            failing.error = message;
            failing.attempts = attempt;
          }
          await sleep(this.#o.backoffMs?.(attempt) ?? Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
        }
      }
    } finally {
      if (failing) this.#failing.delete(failing);
    }
  }

  /** Runs a phase of the two-phase commit; a throw is retried only when `retry` (commit must land). */
  async phase(
    what: string,
    call: () => Promise<PhaseOutcome | undefined> | undefined,
    retry = false,
  ): Promise<PhaseOutcome | typeof CLOSED> {
    if (retry) return this.retry(what, async () => (await call()) ?? 'done');
    try {
      return (await this.waitOn(what, call)) ?? 'done';
    } catch (error) {
      this.#o.onError?.(what, error, 1);
      return { aborted: error };
    }
  }
}

/**
 * What a task has waited on for longer than `ms`: the oldest call to the outside or its checkpoint
 * gate; else a checkpoint's snapshot queued behind the task's chain, and behind what.
 */
export function stalled(
  waits: {
    call?: Waiting | undefined;
    gate?: Waiting | undefined;
    queued?: Waiting | undefined;
    running?: Waiting | undefined;
  },
  ms: number,
  now: number,
): { what: string; ms: number } | undefined {
  const { call, gate, queued, running } = waits;
  const w = call && gate ? (call.since < gate.since ? call : gate) : (call ?? gate);
  if (w && now - w.since > ms) return { what: w.what, ms: now - w.since };
  if (!queued || now - queued.since <= ms) return undefined;
  const behind = running
    ? `${running.what} (running for ${Math.round((now - running.since) / 1000)} s)`
    : (gate?.what ?? 'nothing (the chain is idle)');
  return { what: `${queued.what}, queued behind ${behind},`, ms: now - queued.since };
}

/** Sends records to the dead-letter topic, retried: true once written, false if the task closed meanwhile. */
export async function sendDeadLetters(
  calls: TaskCalls,
  send: ((letters: DeadLetter[]) => Promise<void>) | undefined,
  letters: DeadLetter[],
): Promise<boolean> {
  if (!send) {
    const first = letters[0];
    throw new Error(
      `record ${first?.record.topic}-${first?.record.partition}@${first?.record.offset} failed (${first?.failure.code}: ${first?.failure.message}) and no dead-letter topic is configured`,
    );
  }
  return (await calls.retry('writing dead letters', () => send(letters))) !== CLOSED;
}
