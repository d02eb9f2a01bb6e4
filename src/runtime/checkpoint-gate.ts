// The gate between a task's prepared transaction and its next batch: once phase one is done for a
// checkpoint, no batch may write into that transaction until the checkpoint completes (phase two)
// or aborts. Nobody answering within the timeout counts as an abort (a late completion is ignored).

import type { Waiting } from './task-calls.js';

export class CheckpointGate {
  /** The checkpoint whose phase one the task did and that has not completed or aborted yet. */
  preparedFor: number | undefined;
  #promise: Promise<void> | undefined;
  #open: (() => void) | undefined;
  #waiting: Waiting | undefined;

  /** What a batch waits on: undefined when the gate is open. */
  get closed(): Promise<void> | undefined {
    return this.#promise;
  }

  /** Resolves once the gate is open (at once if it is); a gate closed again meanwhile is waited for too. */
  async whenOpen(): Promise<void> {
    while (this.#promise) await this.#promise;
  }

  /** For stall reports: since when the gate has been closed. */
  get waiting(): Waiting | undefined {
    return this.#waiting;
  }

  close(checkpointId: number, timeoutMs: number, onTimeout: () => void): void {
    this.preparedFor = checkpointId;
    this.#waiting = { what: `checkpoint ${checkpointId} to complete or abort (the gate)`, since: Date.now() };
    this.#promise = new Promise<void>((resolve) => {
      const timer = setTimeout(onTimeout, timeoutMs);
      // A process may stop while a checkpoint waits: this timer must not keep it alive.
      timer.unref();
      this.#open = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops waiting for the checkpoint (completed, aborted, or the task is handing over). */
  release(): void {
    this.preparedFor = undefined;
    this.#promise = undefined;
    this.#waiting = undefined;
    this.#open?.();
    this.#open = undefined;
  }
}
