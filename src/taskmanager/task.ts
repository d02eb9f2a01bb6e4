// One task: the unit of partition ownership (Kafka Streams' TaskId, Flink's subtask). It claims its
// partition in the sink (fencing epoch + resume position), turns consumed records into results and
// applies each batch atomically with its new position. Invariant: `position` only moves forward,
// and only to a position the sink has durably applied.

import { setTimeout as sleep } from 'node:timers/promises';
import type { JobGraph } from '../api/pipeline.js';
import { compile, DROPPED } from '../api/pipeline.js';
import { classifyRecordError } from '../api/record-error.js';
import type { ApplyOutcome, PartitionClaim, Sink } from '../api/sink.js';
import type { SourceRecord } from '../api/source-record.js';
import type { TaskSnapshot } from '../checkpoint/completed-checkpoint.js';
import type { DeadLetter } from '../connectors/kafka/dead-letter-queue.js';
import { canTransition, IllegalTaskTransition, isClosed, type TaskState } from './task-state.js';

export interface BatchResult {
  /** Records read from Kafka in this batch at or past the task's position. */
  consumed: number;
  /** Records the job could not process: sent to the dead-letter topic, then counted as handled. */
  failed: number;
  outcome: ApplyOutcome['status'] | 'skipped';
  /** Set when the consumer must re-read from this offset (part of the batch was applied before). */
  seekTo?: number;
  /** The last record of the batch, for progress lines. */
  lastOffset?: number;
  /** For 'fenced': the epoch of the partition's current owner. */
  currentEpoch?: number;
}

export interface TaskOptions {
  topic: string;
  partition: number;
  graph: JobGraph;
  sink: Sink<unknown>;
  /** Told about each failed attempt to apply a batch (e.g. Redis down); the task retries. */
  onApplyError?: (error: unknown, attempt: number) => void;
  /**
   * Where records the job cannot process go; must resolve only once they are durably written.
   * Without it such a record stops the task (it is never skipped silently).
   */
  deadLetters?: (letters: DeadLetter[]) => Promise<void>;
  /** The longest a prepared checkpoint holds the task's next batch back (then it is treated as aborted). */
  checkpointTimeoutMs?: number;
}

export class Task {
  readonly topic: string;
  readonly partition: number;
  readonly id: string;
  #state: TaskState = 'CREATED';
  #epoch = 0;
  #position: number | undefined;
  #consumed = 0;
  #failed = 0;
  #inFlight: Promise<unknown> = Promise.resolve();
  #pendingSeek: number | undefined;
  /** A checkpoint whose phase one this task did; batches wait at the gate until it completes or aborts. */
  #preparedFor: number | undefined;
  #gate: Promise<void> | undefined;
  #openGate: (() => void) | undefined;
  readonly #gateTimeoutMs: number;
  readonly #sink: Sink<unknown>;
  readonly #process: (record: SourceRecord) => unknown;
  readonly #onApplyError: (error: unknown, attempt: number) => void;
  readonly #deadLetters: ((letters: DeadLetter[]) => Promise<void>) | undefined;

  constructor(options: TaskOptions) {
    this.#deadLetters = options.deadLetters;
    this.#gateTimeoutMs = options.checkpointTimeoutMs ?? 10_000;
    this.topic = options.topic;
    this.partition = options.partition;
    this.id = `${options.topic}-${options.partition}`;
    this.#sink = options.sink;
    this.#process = compile(options.graph);
    this.#onApplyError = options.onApplyError ?? (() => {});
  }

  get state(): TaskState {
    return this.#state;
  }
  get epoch(): number {
    return this.#epoch;
  }
  /** Next offset to read; undefined until restored, or when the sink had no record. */
  get position(): number | undefined {
    return this.#position;
  }
  get consumed(): number {
    return this.#consumed;
  }
  get failed(): number {
    return this.#failed;
  }

  /** CREATED → RESTORING → RUNNING: claims the partition and learns where to resume. */
  async restore(): Promise<number | undefined> {
    this.#transition('RESTORING');
    let claim: PartitionClaim | undefined;
    for (let attempt = 1; claim === undefined; attempt++) {
      try {
        claim = await this.#sink.claim(this.partition);
      } catch (error) {
        if (isClosed(this.#state)) return undefined;
        this.#onApplyError(error, attempt);
        await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
      }
    }
    this.#epoch = claim.epoch;
    this.#position = claim.position;
    if (this.#state === 'RESTORING') this.#transition('RUNNING');
    return this.#position;
  }

  /** Processes one batch of this partition's records (in offset order) and applies it. */
  process(records: readonly SourceRecord[]): Promise<BatchResult> {
    const run = this.#inFlight.then(() => this.#processNow(records));
    this.#inFlight = run.catch(() => {});
    return run;
  }

  async #processNow(records: readonly SourceRecord[]): Promise<BatchResult> {
    // Only a RUNNING task starts a batch; one already applying when the task is suspended finishes.
    if (this.#state !== 'RUNNING') return { consumed: 0, failed: 0, outcome: 'skipped' };
    const position = this.#position ?? -1;
    // After a seek, records before the position may still arrive: they were applied already.
    const fresh = records.filter((r) => r.offset >= position);
    const first = fresh[0];
    const last = fresh.at(-1);
    if (!first || !last) return { consumed: 0, failed: 0, outcome: 'skipped' };
    const results: unknown[] = [];
    const letters: DeadLetter[] = [];
    for (const record of fresh) {
      try {
        const value = this.#process(record);
        if (value !== DROPPED) results.push(value);
      } catch (error) {
        letters.push({ record, failure: classifyRecordError(error, record.value) });
      }
    }
    const failed = letters.length;
    // Dead letters are confirmed before the batch's position moves past them: never lost.
    if (letters.length > 0 && !(await this.#sendDeadLetters(letters))) {
      return { consumed: 0, failed: 0, outcome: 'fenced', currentEpoch: this.#epoch };
    }
    const range = { firstOffset: first.offset, nextOffset: last.offset + 1 };
    const outcome = await this.#applyWithRetry(results, range);
    switch (outcome.status) {
      case 'applied':
        this.#position = outcome.position;
        this.#consumed += fresh.length;
        this.#failed += failed;
        return { consumed: fresh.length, failed, outcome: 'applied', lastOffset: last.offset };
      case 'duplicate':
        this.#position = Math.max(this.#position ?? -1, outcome.position);
        return { consumed: 0, failed: 0, outcome: 'duplicate' };
      case 'overlap':
        this.#position = outcome.position;
        return { consumed: 0, failed: 0, outcome: 'overlap', seekTo: outcome.position };
      case 'fenced':
        this.closeDirty();
        return { consumed: 0, failed: 0, outcome: 'fenced', currentEpoch: outcome.currentEpoch };
    }
  }

  /**
   * The task's snapshot for a checkpoint, taken after the batch in flight (a batch boundary):
   * its position is durably applied by the sink. Undefined when the task cannot take part
   * (not RUNNING, or no position yet): the TaskManager then declines.
   */
  snapshot(checkpointId: number): Promise<TaskSnapshot | undefined> {
    const run = this.#inFlight.then(async () => {
      if (this.#state !== 'RUNNING' || this.#position === undefined) return undefined;
      const position = this.#position;
      // A transactional sink stages the batch boundary (phase one); it becomes visible on completion.
      if (this.#sink.preCommit) {
        const outcome = await this.#sink.preCommit(this.partition, position);
        if (outcome === 'fenced') {
          this.closeDirty();
          return undefined;
        }
        if (outcome !== 'prepared') {
          this.#rewind(outcome.rewindTo);
          return undefined;
        }
        // No batch may join the prepared transaction: the next one waits for completion or abort.
        this.#preparedFor = checkpointId;
        this.#gate = new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#gateTimeoutMs);
          this.#openGate = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return { partition: this.partition, position, epoch: this.#epoch, state: { applied: this.#consumed } };
    });
    this.#inFlight = run.then(() => this.#gate).catch(() => {});
    return run;
  }

  /** Phase two, once the checkpoint completed: the prepared transaction becomes visible. */
  async completeCheckpoint(checkpointId: number): Promise<void> {
    if (this.#preparedFor !== checkpointId || !this.#sink.commit) return;
    const outcome = await this.#sink.commit(this.partition);
    if (outcome === 'fenced') this.closeDirty();
    else if (outcome !== 'committed') this.#rewind(outcome.rewindTo);
    this.#releaseGate();
  }

  /** The checkpoint failed elsewhere: keep the transaction open, the next checkpoint commits it. */
  abortCheckpoint(checkpointId: number): void {
    if (this.#preparedFor === checkpointId) this.#releaseGate();
  }

  #releaseGate(): void {
    this.#preparedFor = undefined;
    this.#gate = undefined;
    this.#openGate?.();
    this.#openGate = undefined;
  }

  #rewind(position: number): void {
    this.#position = position;
    this.#pendingSeek = position;
  }

  /** A seek the consumer must do for this partition (after a rewind), taken once. */
  takePendingSeek(): number | undefined {
    const seek = this.#pendingSeek;
    this.#pendingSeek = undefined;
    return seek;
  }

  /** True once written; false if the task was closed while retrying (the batch is then not applied). */
  async #sendDeadLetters(letters: DeadLetter[]): Promise<boolean> {
    if (!this.#deadLetters) {
      const first = letters[0];
      throw new Error(
        `record ${first?.record.topic}-${first?.record.partition}@${first?.record.offset} failed (${first?.failure.code}: ${first?.failure.message}) and no dead-letter topic is configured`,
      );
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#deadLetters(letters);
        return true;
      } catch (error) {
        if (isClosed(this.#state)) return false;
        this.#onApplyError(error, attempt);
        await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  /**
   * Applying the same batch again with the same epoch is idempotent (the sink answers 'duplicate'),
   * so a failed write is retried until it lands or the task loses its partition: nothing is dropped.
   */
  async #applyWithRetry(
    results: unknown[],
    range: { firstOffset: number; nextOffset: number },
  ): Promise<ApplyOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#sink.apply(this.partition, this.#epoch, results, range);
      } catch (error) {
        if (isClosed(this.#state)) return { status: 'fenced', currentEpoch: this.#epoch };
        this.#onApplyError(error, attempt);
        await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  /** RUNNING → SUSPENDED, then waits for the batch in flight: after this, nothing more is written. */
  async suspend(): Promise<void> {
    if (this.#state === 'RUNNING') this.#transition('SUSPENDED');
    // A prepared transaction is aborted with the hand-over (sink.release): stop waiting for it.
    this.#releaseGate();
    await this.#inFlight;
  }

  closeClean(): void {
    if (this.#state === 'RESTORING' || this.#state === 'CREATED') {
      this.closeDirty();
      return;
    }
    if (this.#state === 'RUNNING') this.#transition('SUSPENDED');
    this.#transition('CLOSED');
  }

  /** Lost or fenced: stop writing at once; whatever is in flight is refused by the sink's epoch check. */
  closeDirty(): void {
    if (!isClosed(this.#state)) this.#transition('CLOSED_DIRTY');
    this.#releaseGate();
  }

  #transition(to: TaskState): void {
    if (!canTransition(this.#state, to)) throw new IllegalTaskTransition(this.id, this.#state, to);
    this.#state = to;
  }
}
