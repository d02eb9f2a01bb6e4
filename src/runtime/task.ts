// One task: the unit of partition ownership (Kafka Streams' TaskId, Flink's subtask) — one source
// partition of one stage. It claims the runtime's lease (a fencing epoch, the checkpointed
// position), asks each sink connector where its durable output ends, runs the compiled stage over
// each batch (batch-run.ts) and hands the results to its lanes (lane-writer.ts: writes and the two
// phases per connector); its calls out are retried and watched (task-calls.ts), a prepared
// checkpoint holds the next batch at the gate (checkpoint-gate.ts), and with per-task commits it
// commits its own transaction (own-commits.ts).
//
// Positions (all source offsets; -1 = not known yet), per connector ("lane"):
//   written  — records before it were handed to the connector (staged, for a transactional one)
//   prepared — transactional: records before it are in a prepared transaction (phase one done)
//   durable  — records before it are durable/visible in the connector
// The task's position is the lowest `written`: everything before it reached every sink. It only
// moves back when a transactional connector lost what it staged (an aborted transaction): then the
// task rewinds (seeks the consumer at once) and drops the records still in flight from before the
// seek, so the aborted range is read again and nothing past it is taken first.

import type { SourceRecord } from '../api/records.js';
import type { TaskSnapshot } from '../checkpoint/completed-checkpoint.js';
import type { TaskRef } from '../connectors/sink-connector.js';
import { runBatch } from './batch-run.js';
import { CheckpointGate } from './checkpoint-gate.js';
import { StageOutputs } from './compile-stage.js';
import type { StageEnvironment } from './keyed/stage-environment.js';
import { LaneWriter } from './lane-writer.js';
import { OwnCommits } from './own-commits.js';
import { MemoryStateStore } from './state/state-store.js';
import type { RestoreProgress, TaskStateBackend } from './state/task-state-backend.js';
import { type Blocked, CLOSED, sendDeadLetters, stalled, TaskCalls, type Waiting } from './task-calls.js';
import type { BatchResult, TaskOptions } from './task-options.js';
import { canTransition, IllegalTaskTransition, isClosed, type TaskState } from './task-state.js';

export class Task {
  readonly ref: TaskRef;
  #state: TaskState = 'CREATED';
  #epoch = 0;
  #position = -1;
  /** The highest offset processed so far, plus one: records below it are replays (not counted twice). */
  #highWater = -1;
  /** The offset after the last record the consumer handed this task: where its reading stands. */
  #readTo = -1;
  /** While set, records at or past it were fetched before a rewind's seek: dropped until an earlier one arrives. */
  #rewindFrom: number | undefined;
  #consumed = 0;
  #failed = 0;
  #emitted = 0;
  #inFlight: Promise<unknown> = Promise.resolve();
  /** What the chain of batches, ticks and snapshots runs now, and a snapshot queued behind it (stall reports). */
  #running: Waiting | undefined;
  #queuedSnapshot: Waiting | undefined;
  /** Checkpoints up to this one have ended (completed or aborted): a snapshot for them is stale. */
  #endedUpTo = 0;
  /** Batches wait here while a prepared checkpoint is neither completed nor aborted. */
  readonly #gate = new CheckpointGate();
  readonly #calls: TaskCalls;
  readonly #lanes: LaneWriter;
  /** Per-task commits: at the barrier and on the task's own clock (own-commits.ts). */
  readonly #own: OwnCommits;
  /** Why the last snapshot was declined (for the decline's message). */
  declined = '';
  /** Records marked late (dead-lettered with reason `late`). */
  #late = 0;
  #ownEnv: StageEnvironment | undefined;
  /** The state's restore, when it runs after restore() returned (see there). */
  #stateRestore: Promise<boolean> | undefined;
  /** How many times the task went back to its committed position (a batch computed before one is void). */
  #rewinds = 0;
  /** The last record processed: time that passes without records is attributed to it. */
  #lastRecord: SourceRecord | undefined;
  readonly #o: TaskOptions;

  constructor(options: TaskOptions) {
    this.#o = options;
    this.ref = options.task;
    this.#calls = new TaskCalls({
      closed: () => isClosed(this.#state),
      onError: options.onError,
      backoffMs: options.backoffMs,
    });
    this.#lanes = new LaneWriter({
      task: options.task,
      connectors: options.connectors,
      calls: this.#calls,
      state: options.state,
      deadLetters: (letters) => sendDeadLetters(this.#calls, options.deadLetters, letters),
      onRefused: (records) => {
        this.#failed += records;
      },
      onError: options.onError,
    });
    this.#own = new OwnCommits(this.#lanes, options);
    // A stage that only announces its watermark downstream keeps its clock in memory: the
    // downstream tasks keep the highest they heard, so starting again from nothing is harmless.
    if (!options.state && options.stage.timed)
      this.#ownEnv = options.stage.open(
        new MemoryStateStore(),
        options.task.topic,
        options.task.partition,
        Date.now(),
      );
  }

  get #env(): StageEnvironment | undefined {
    return this.#o.state?.env ?? this.#ownEnv;
  }

  get id(): string {
    return this.ref.id;
  }
  get slot(): number {
    return this.#o.slot;
  }
  get topic(): string {
    return this.ref.topic;
  }
  get partition(): number {
    return this.ref.partition;
  }
  get state(): TaskState {
    return this.#state;
  }
  get epoch(): number {
    return this.#epoch;
  }
  /** Next offset to read; undefined until restored, or when nothing told where to start. */
  get position(): number | undefined {
    return this.#position < 0 ? undefined : this.#position;
  }
  get consumed(): number {
    return this.#consumed;
  }
  get failed(): number {
    return this.#failed;
  }
  get emitted(): number {
    return this.#emitted;
  }
  get late(): number {
    return this.#late;
  }
  /** What the task has been waiting on for more than `ms` (a broker or sink that does not answer). */
  waitingLongerThan(ms: number, now = Date.now()): { what: string; ms: number } | undefined {
    const waits = { call: this.#calls.oldest(), gate: this.#gate.waiting, running: this.#running };
    return stalled({ ...waits, queued: this.#queuedSnapshot }, ms, now);
  }
  /** A call the task keeps retrying because it fails (a sink refusing writes): it cannot move on. */
  blocked(): Blocked | undefined {
    return this.#calls.blocked();
  }
  /** The task's watermark (stages that keep an event clock). */
  get watermark(): number | undefined {
    return this.#env?.watermark;
  }
  /** Where this task's reading stands (the offset after the last record it was handed). */
  get readTo(): number {
    return Math.max(this.#readTo, this.#position);
  }
  /** The state's last restore: changelog records read, time taken, whether it finished. */
  get restoreProgress(): RestoreProgress | undefined {
    return this.#o.state?.progress;
  }
  /** Entries of the task's state on disk, and writes not committed yet. */
  get stateSize(): { entries: number; pending: number } | undefined {
    const store = this.#o.state?.store;
    return store ? { entries: store.entries, pending: store.pending } : undefined;
  }

  /**
   * CREATED → RESTORING → RUNNING: claims the lease, lets each connector fence earlier owners and
   * recover, and learns where to resume: the lowest position any sink still needs.
   */
  async restore(): Promise<number | undefined> {
    this.#transition('RESTORING');
    const lease = await this.#calls.retry('claiming the task lease', () => this.#o.leases.claim(this.ref));
    if (lease === CLOSED) return undefined;
    this.#epoch = lease.epoch;
    const restored = await this.#lanes.restore(lease, this.#o.start);
    if (restored === 'fenced') this.closeDirty();
    if (restored !== 'ok') return undefined;
    const carrier = this.#lanes.carrier;
    const state = this.#o.state;
    this.#position = this.#lanes.lowestWritten;
    this.#highWater = this.#position;
    // An earlier task of this partition here was handed records up to fetchedTo: any still in
    // flight are dropped until the read from this position arrives (as after a rewind).
    const fetchedTo = this.#o.fetchedTo;
    if (fetchedTo !== undefined && this.#position >= 0 && this.#position < fetchedTo)
      this.#rewindFrom = fetchedTo;
    if (state && carrier) {
      // The state comes back after this returns, the partition paused: the TaskManager keeps up
      // with its group meanwhile, so a partition taken away mid-restore (a first rebalance gives
      // all to the first member) is let go at once (Kafka Streams' RESTORING tasks).
      this.#stateRestore = this.#restoreState(state);
      return this.position;
    }
    if (this.#state === 'RESTORING') this.#transition('RUNNING');
    return this.position;
  }

  /**
   * Set when restore() left the state to come back in the background: true once the task is
   * RUNNING (its partition may be read), false if it was closed first.
   */
  get stateRestored(): Promise<boolean> | undefined {
    return this.#stateRestore;
  }

  async #restoreState(state: TaskStateBackend): Promise<boolean> {
    const stopped = () => isClosed(this.#state);
    const restored = await this.#calls.retry('restoring state', () => state.restore(stopped));
    if (restored === CLOSED || restored.stopped || this.#state !== 'RESTORING') return false;
    this.#transition('RUNNING');
    return true;
  }

  /** Processes one batch of this partition's records (in offset order). */
  process(records: readonly SourceRecord[]): Promise<BatchResult> {
    return this.#chain('a batch of records', () => this.#processNow(records));
  }

  /** Runs a step after the ones before it (batches, ticks and snapshots never overlap). */
  #chain<T>(what: string, step: () => Promise<T>): Promise<T> {
    const run = this.#inFlight.then(async () => {
      this.#running = { what, since: Date.now() };
      try {
        return await step();
      } finally {
        this.#running = undefined;
      }
    });
    this.#inFlight = run.catch(() => {});
    return run;
  }

  async #processNow(records: readonly SourceRecord[]): Promise<BatchResult> {
    const skipped: BatchResult = { consumed: 0, failed: 0, emitted: 0, outcome: 'skipped' };
    // Only a RUNNING task starts a batch; one already writing when the task is suspended finishes.
    // Records that reach a RESTORING one are read again: the resume's seek to its position.
    if (this.#state !== 'RUNNING') return skipped;
    let list = records;
    if (this.#rewindFrom !== undefined) {
      const from = this.#rewindFrom;
      const at = list.findIndex((r) => r.offset < from);
      if (at < 0) return skipped;
      list = list.slice(at);
      this.#rewindFrom = undefined;
    }
    const lastRead = list.at(-1);
    if (lastRead) this.#readTo = lastRead.offset + 1;
    // After a seek, records before the position may still arrive: every sink has them already.
    const position = this.#position;
    const fresh = position < 0 ? list : list.filter((r) => r.offset >= position);
    const first = fresh[0];
    const last = fresh.at(-1);
    if (!first || !last) return skipped;
    // Nothing said where to start: the first record read is where this ownership's output begins.
    if (position < 0)
      for (const lane of this.#lanes.lanes) if (lane.written < 0) lane.written = lane.durable = first.offset;

    const now = Date.now();
    this.#lastRecord = last;
    this.#o.onRunning?.(first.offset, last.offset);
    const { out, letters, late } = runBatch(this.#o.stage, fresh, this.#env, now, this.#highWater);
    // The code above may run while the last checkpoint's transaction waits for its commit (the
    // gate): only what goes out waits, its state writes sit in the store's newest layer. If the
    // commit lost the transaction (a rewind), this batch is void and its records are read again.
    const rewinds = this.#rewinds;
    await this.#gate.whenOpen();
    if (this.#state !== 'RUNNING' || rewinds !== this.#rewinds) return skipped;
    this.#late += late + out.lateRouted;
    // Dead letters are confirmed before any position moves past them: never lost.
    if (letters.length > 0 && !(await sendDeadLetters(this.#calls, this.#o.deadLetters, letters)))
      return { ...skipped, outcome: 'fenced' };

    const next = last.offset + 1;
    const result = await this.#lanes.write(out, first.offset, next, this.#epoch);
    if (result === 'fenced') {
      this.closeDirty();
      return { ...skipped, outcome: 'fenced' };
    }
    if (result === 'closed') return skipped;
    let rewind = result === 'rewind';
    if (!rewind) this.#own.written();
    if (!rewind && this.#own.due(now)) {
      const committed = await this.#own.commit(this.#epoch);
      if (committed === 'fenced') {
        this.closeDirty();
        return { ...skipped, outcome: 'fenced' };
      }
      if (committed === 'closed') return skipped;
      rewind = committed === 'rewind';
    }
    const counted = fresh.filter((r) => r.offset >= this.#highWater).length;
    this.#consumed += counted;
    this.#failed += letters.length;
    this.#emitted += out.total;
    this.#highWater = Math.max(this.#highWater, next);
    if (rewind) this.#rewind();
    else this.#position = this.#lanes.lowestWritten;
    return {
      consumed: counted,
      failed: letters.length,
      emitted: out.total,
      outcome: 'applied',
      lastOffset: last.offset,
    };
  }

  /**
   * Time passes without records: processing-time timers fire, an idle input's watermark moves on,
   * windows close. Results have no record of their own, so they go only where a transaction holds
   * them: transactional lanes' open transactions, and for a stateful task the other lanes' share is
   * held in its state, for them once that transaction committed (`writeHeld`). A stateless stage
   * with a sink outside a transaction keeps time waiting for the next record.
   */
  tick(now = Date.now()): Promise<void> {
    // Per-task commits: what the last batches wrote commits on the task's clock also when no more
    // records come (Kafka Streams commits from its poll loop whether or not records arrived).
    if (!this.#o.stage.timed && !this.#own.due(now)) return Promise.resolve();
    return this.#chain('time passing (timers, idle input)', async () => {
      if (this.#o.stage.timed) await this.#tickNow(now, false);
      if (this.#own.due(Date.now())) await this.#commitOwnIdle();
    });
  }

  /** An own commit with no batch (see tick): only a RUNNING task with an open gate. */
  async #commitOwnIdle(): Promise<void> {
    await this.#gate.whenOpen();
    if (this.#state !== 'RUNNING' || this.#position < 0) return;
    const committed = await this.#own.commit(this.#epoch);
    if (committed === 'fenced') this.closeDirty();
    else if (committed === 'rewind') this.#rewind();
  }

  /** The end of the input (`--stop-when-idle`): a task reading a source closes every window. */
  finish(): Promise<void> {
    if (!this.#o.stage.timed || !this.#o.stage.readsSources) return Promise.resolve();
    return this.#chain('the end of input', () => this.#tickNow(Date.now(), true));
  }

  async #tickNow(now: number, finish: boolean): Promise<void> {
    await this.#gate.whenOpen();
    const env = this.#env;
    if (this.#state !== 'RUNNING' || this.#position < 0 || !env) return;
    // A task that has read nothing since it started (its partition was read to the end before it
    // moved here) still lets time pass: results are attributed to the record before its position.
    const at: SourceRecord = this.#lastRecord ?? {
      topic: this.ref.topic,
      partition: this.ref.partition,
      offset: this.#position - 1,
      key: null,
      value: null,
      timestamp: undefined,
    };
    if (!this.#lanes.takesTimeResults) return;
    const out = new StageOutputs(this.#o.stage.sinkCount);
    if (finish) this.#o.stage.finish(out, env, at);
    else this.#o.stage.tick(out, env, now, this.#o.caughtUp?.() ?? false, at);
    if (out.total === 0) return;
    this.#lanes.hold(out); // sinks outside the transaction: once it committed (completeCheckpoint)
    const result = await this.#lanes.writeTimeResults(out, this.#position, this.#epoch);
    if (result === 'fenced') this.closeDirty();
    else if (result === 'rewind') this.#rewind();
    else if (result === 'ok') {
      this.#emitted += out.total;
      this.#own.written();
    }
  }

  /** The position went back: seek now, and drop what was fetched before the seek. */
  #rewind(): void {
    this.#rewinds++;
    this.#own.aborted();
    const target = this.#lanes.lowestWritten;
    const from = this.#readTo;
    this.#position = target;
    if (target < from) {
      this.#rewindFrom = from;
      this.#o.seek(target);
    }
  }

  /**
   * The task's snapshot for a checkpoint, taken after the batch in flight (a batch boundary).
   * Transactional connectors do phase one here. Undefined when the task cannot take part (not
   * RUNNING, no position yet, or a connector lost its transaction): the TaskManager declines.
   */
  snapshot(checkpointId: number): Promise<TaskSnapshot | undefined> {
    this.#queuedSnapshot ??= { what: `the snapshot for checkpoint ${checkpointId}`, since: Date.now() };
    const run = this.#inFlight.then(async (): Promise<TaskSnapshot | undefined> => {
      // The previous checkpoint's transaction must be committed (or that checkpoint aborted) first.
      await this.#gate.whenOpen();
      this.#queuedSnapshot = undefined;
      if (this.#state !== 'RUNNING' || this.#position < 0) {
        this.declined = this.#state !== 'RUNNING' ? this.#state : 'no position yet';
        return undefined;
      }
      // Queued behind a batch while the checkpoint ended elsewhere (another task declined): nothing
      // to prepare; a later checkpoint takes what this one would have.
      if (checkpointId <= this.#endedUpTo) {
        this.declined = `checkpoint ${checkpointId} already ended`;
        return undefined;
      }
      let prepared = await this.#lanes.prepare(checkpointId, this.#epoch);
      // Per-task commits: phase two at once (no batch runs meanwhile: this is the task's chain).
      if (prepared === 'prepared' && this.#own.atBarrier)
        prepared = await this.#own.commitPrepared(checkpointId, this.#epoch);
      if (prepared === 'fenced') {
        this.declined = 'fenced';
        this.closeDirty();
        return undefined;
      }
      if (prepared === 'rewind' || prepared === 'closed') {
        this.declined = 'its transaction aborted';
        if (prepared === 'rewind') this.#rewind();
        return undefined;
      }
      // The gate closes only for a checkpoint still in progress: one aborted while this task prepared
      // would hold its batches (and the next snapshot) back until the timeout, checkpoint after checkpoint.
      if (prepared === 'prepared' && checkpointId > this.#endedUpTo)
        this.#gate.close(checkpointId, this.#o.checkpointTimeoutMs ?? 10_000, () =>
          this.abortCheckpoint(checkpointId),
        );
      return {
        task: this.#o.slot,
        topic: this.ref.topic,
        partition: this.ref.partition,
        position: this.#position,
        epoch: this.#epoch,
        state: { recordsIn: this.#consumed, recordsOut: this.#emitted, deadLettered: this.#failed },
      };
    });
    // The next batch may start while the gate is closed: it waits for it before writing.
    this.#inFlight = run.catch(() => {});
    return run;
  }

  /** Phase two, once the checkpoint completed: prepared transactions become visible. */
  async completeCheckpoint(checkpointId: number): Promise<void> {
    this.#endedUpTo = Math.max(this.#endedUpTo, checkpointId);
    if (this.#gate.preparedFor !== checkpointId) return;
    // The gate stays closed while committing: no batch may write into a transaction being committed.
    this.#gate.preparedFor = undefined;
    const result = await this.#lanes.commit(checkpointId, this.#epoch);
    if (result === 'fenced') this.closeDirty();
    else if (result === 'rewind') this.#rewind();
    else await this.#lanes.writeHeld();
    this.#gate.release();
  }

  /** The checkpoint failed elsewhere: what was prepared stays, a later checkpoint commits it. */
  abortCheckpoint(checkpointId: number): void {
    this.#endedUpTo = Math.max(this.#endedUpTo, checkpointId);
    if (this.#gate.preparedFor === checkpointId) this.#gate.release();
  }

  /** RUNNING → SUSPENDED, then waits for the batch in flight: after this, nothing more is written. */
  async suspend(): Promise<void> {
    if (this.#state === 'RUNNING') this.#transition('SUSPENDED');
    // What is prepared is the next owner's to recover: stop waiting for the checkpoint here.
    this.#gate.release();
    await this.#inFlight;
  }

  /** Closes the task's local state store (after it was handed over or lost); the disk keeps it. */
  async closeState(): Promise<void> {
    await this.#inFlight;
    // A restore still running stops at its next batch (the task is closed): then the store closes.
    await this.#stateRestore;
    await this.#o.state?.close();
  }

  closeClean(): void {
    if (this.#state === 'RESTORING' || this.#state === 'CREATED') {
      this.closeDirty();
      return;
    }
    if (this.#state === 'RUNNING') this.#transition('SUSPENDED');
    if (this.#state === 'SUSPENDED') this.#transition('CLOSED');
  }

  /** Lost or fenced: stop writing at once; whatever is in flight is refused by the sinks' epoch checks. */
  closeDirty(): void {
    if (!isClosed(this.#state) && this.#state !== 'SUSPENDED') {
      const why = this.#lanes.fenceReason();
      if (why) this.#o.onError?.('fenced', new Error(why), 1);
    }
    if (!isClosed(this.#state)) this.#transition('CLOSED_DIRTY');
    this.#gate.release();
  }

  #transition(to: TaskState): void {
    if (!canTransition(this.#state, to)) throw new IllegalTaskTransition(this.id, this.#state, to);
    this.#state = to;
  }
}
