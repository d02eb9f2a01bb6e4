// Per-task commits (SLUICE_CHECKPOINT_COMMIT=per-task, TaskOptions.commitAtBarrier): a task whose
// every sink's transaction also holds the source offsets (Kafka) commits that transaction itself -
// at the checkpoint's barrier, right after phase one, and on its own clock in between (Kafka
// Streams' commit.interval.ms) - instead of waiting for the checkpoint to complete. Its transaction
// holds its output, its state's changes and its offsets, so it is whole on its own. A task with any
// other sink keeps the two phases (a user's transactional sink recovers by the last completed
// checkpoint). This holds the task's clock and does the commits; the task handles their outcomes.

import type { LaneOutcome, LaneWriter } from './lane-writer.js';

/**
 * The checkpoint id an own commit prepares and commits under: below every real checkpoint's, and
 * nothing else is ever prepared under it - it is committed in the same step.
 */
const OWN_COMMIT = 0;

export class OwnCommits {
  readonly #lanes: LaneWriter;
  readonly #enabled: boolean;
  readonly #intervalMs: number | undefined;
  /** When the task's transaction last committed. */
  #lastAt = Date.now();
  /** Something was written into the open transaction since its last commit. */
  #uncommitted = false;

  constructor(lanes: LaneWriter, options: { commitAtBarrier?: boolean; commitIntervalMs?: number }) {
    this.#lanes = lanes;
    this.#enabled = options.commitAtBarrier === true && lanes.lanes.every((l) => l.connector.commitsOffsets);
    this.#intervalMs = options.commitIntervalMs;
  }

  /** The task commits at the barrier: its transaction is whole on its own. */
  get atBarrier(): boolean {
    return this.#enabled;
  }

  /** Something written since the last commit, and the interval has passed: an own commit is due. */
  due(now: number): boolean {
    return (
      this.#enabled &&
      this.#uncommitted &&
      this.#intervalMs !== undefined &&
      now - this.#lastAt >= this.#intervalMs
    );
  }

  /** A batch or time's results went into the open transaction. */
  written(): void {
    this.#uncommitted = true;
  }

  /** The open transaction was aborted (the task rewinds): nothing is left to commit. */
  aborted(): void {
    this.#uncommitted = false;
  }

  /** Phase two right after phase one at a checkpoint's barrier. */
  async commitPrepared(checkpointId: number, epoch: number): Promise<LaneOutcome> {
    const committed = await this.#lanes.commit(checkpointId, epoch);
    if (committed === 'ok') {
      this.#lastAt = Date.now();
      this.#uncommitted = false;
    }
    return committed;
  }

  /** A commit between the barriers: phase one and two at once. */
  async commit(epoch: number): Promise<LaneOutcome> {
    const prepared = await this.#lanes.prepare(OWN_COMMIT, epoch);
    return prepared === 'prepared' ? this.commitPrepared(OWN_COMMIT, epoch) : prepared;
  }
}
