// One task: the unit of partition ownership (Kafka Streams' TaskId, Flink's subtask) — one source
// partition of one stage. It claims the runtime's lease (a fencing epoch, the checkpointed
// position), asks each sink connector where its durable output ends, runs the compiled stage over
// each batch and hands every connector the results it has not received yet.
//
// Positions (all source offsets; -1 = not known yet), per connector ("lane"):
//   written  — records before it were handed to the connector (staged, for a transactional one)
//   prepared — transactional: records before it are in a prepared transaction (phase one done)
//   durable  — records before it are durable/visible in the connector
// The task's position is the lowest `written`: everything before it reached every sink. It only
// moves back when a transactional connector lost what it staged (an aborted transaction): then the
// task rewinds (seeks the consumer at once) and drops the records still in flight from before the
// seek, so the aborted range is read again and nothing past it is taken first.

import { setTimeout as sleep } from 'node:timers/promises';
import { classifyRecordError, type RecordFailure } from '../api/record-error.js';
import type { SourceRecord } from '../api/records.js';
import type { TaskSnapshot } from '../checkpoint/completed-checkpoint.js';
import type { DeadLetter } from '../connectors/kafka/dead-letter-queue.js';
import type { InternalRecord } from '../connectors/kafka/kafka-sink-connector.js';
import {
  isPermanent,
  type PhaseOutcome,
  type SinkConnector,
  type TaskRef,
} from '../connectors/sink-connector.js';
import { type CompiledStage, StageOutputs } from './compile-stage.js';
import type { StageEnvironment } from './keyed/stage-environment.js';
import {
  advance,
  type Lane,
  lostStaged,
  lowestWritten,
  newLane,
  slice,
  uniqueSources,
} from './sink-lanes.js';
import { MemoryStateStore } from './state/state-store.js';
import type { TaskStateBackend } from './state/task-state-backend.js';
import type { TaskLeases } from './task-lease-store.js';
import { canTransition, IllegalTaskTransition, isClosed, type TaskState } from './task-state.js';

export interface BatchResult {
  /** Records of this batch processed for the first time (a replay after a rewind is not counted again). */
  consumed: number;
  /** Of those, records sent to the dead-letter topic. */
  failed: number;
  /** Results handed to sinks. */
  emitted: number;
  outcome: 'applied' | 'skipped' | 'fenced';
  /** The last record of the batch, for progress lines. */
  lastOffset?: number;
}

export interface TaskOptions {
  task: TaskRef;
  /** The task's slot in the job (its index among all source partitions): how checkpoints name it. */
  slot: number;
  stage: CompiledStage;
  connectors: readonly SinkConnector[];
  leases: TaskLeases;
  /** The run's first offset of this partition: nothing before it is read (-1: not known). */
  start: number;
  /** Where records the job cannot process go; resolves once they are durably written. */
  deadLetters?: (letters: DeadLetter[]) => Promise<void>;
  /** Told about each failed attempt of something the task retries (a Redis outage, ...). */
  onError?: (what: string, error: unknown, attempt: number) => void;
  /** Makes the consumer read this task's partition again from `offset` (a rewind). */
  seek: (offset: number) => void;
  /** The longest a prepared checkpoint holds the task's next batch back (then it counts as aborted). */
  checkpointTimeoutMs?: number;
  /** Wait before retry `attempt` (tests pass 0). */
  backoffMs?: (attempt: number) => number;
  /**
   * The task's keyed state (a stage with stateful steps): restored before the first record, its
   * changes written to the changelog in the Kafka transaction, kept on disk once committed.
   */
  state?: TaskStateBackend;
  /** True when the consumer has read this partition to its end (an idle input may move event time). */
  caughtUp?: () => boolean;
}

/** The connector that carries a stateful task's changelog: the one with a `stage` method (Kafka). */
interface ChangelogCarrier extends SinkConnector {
  stage(task: TaskRef, epoch: number, records: readonly InternalRecord[]): Promise<PhaseOutcome>;
}

function carries(connector: SinkConnector): connector is ChangelogCarrier {
  return typeof (connector as Partial<ChangelogCarrier>).stage === 'function';
}

const CLOSED: unique symbol = Symbol('closed');

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
  /** The checkpoint whose phase one this task did; batches wait at the gate until it completes or aborts. */
  #preparedFor: number | undefined;
  #gate: Promise<void> | undefined;
  #openGate: (() => void) | undefined;
  readonly #lanes: Lane[];
  /** The lane whose transaction carries the state's changelog (stateful tasks). */
  readonly #carrier: Lane | undefined;
  /** The calls to the outside the task is waiting on, and since when (a stall shows up here). */
  readonly #waits = new Set<{ what: string; since: number }>();
  #gateSince: { what: string; since: number } | undefined;
  /** Why the last snapshot was declined (for the decline's message). */
  declined = '';
  /** Records marked late (dead-lettered with reason `late`). */
  #late = 0;
  #ownEnv: StageEnvironment | undefined;
  /** The last record processed: time that passes without records is attributed to it. */
  #lastRecord: SourceRecord | undefined;
  readonly #o: TaskOptions;

  constructor(options: TaskOptions) {
    this.#o = options;
    this.ref = options.task;
    this.#lanes = options.connectors.map(newLane);
    this.#carrier = options.state ? this.#lanes.find((l) => carries(l.connector)) : undefined;
    if (options.state && !this.#carrier)
      throw new Error(
        `task ${options.task.id} keeps state but has no Kafka connector to carry its changelog`,
      );
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
    let w = this.#gateSince;
    for (const wait of this.#waits) if (!w || wait.since < w.since) w = wait;
    return w && now - w.since > ms ? { what: w.what, ms: now - w.since } : undefined;
  }
  /** The task's watermark (stages that keep an event clock). */
  get watermark(): number | undefined {
    return this.#env?.watermark;
  }
  /** Where this task's reading stands (the offset after the last record it was handed). */
  get readTo(): number {
    return Math.max(this.#readTo, this.#position);
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
    const lease = await this.#retry('claiming the task lease', () => this.#o.leases.claim(this.ref));
    if (lease === CLOSED) return undefined;
    this.#epoch = lease.epoch;
    const floor = this.#o.start;
    const base = Math.max(lease.position, floor);
    for (const lane of this.#lanes) {
      const restored = await this.#retry(`restoring sink '${lane.connector.name}'`, () =>
        lane.connector.restore(this.ref, lease),
      );
      if (restored === CLOSED) return undefined;
      if (restored === 'fenced') {
        this.closeDirty();
        return undefined;
      }
      const own = lane.connector.keepsPosition ? (restored.position ?? floor) : base;
      lane.written = lane.durable = Math.max(own, floor);
    }
    const carrier = this.#carrier;
    if (this.#o.state && carrier) {
      // The state is durable exactly to the carrier's committed offset: every lane resumes there
      // (one ahead of it refuses the replay by its guard).
      const restored = await this.#retry('restoring state', () =>
        (this.#o.state as TaskStateBackend).restore(),
      );
      if (restored === CLOSED) return undefined;
      for (const lane of this.#lanes)
        if (lane.written < carrier.written) lane.written = lane.durable = carrier.written;
    }
    this.#position = lowestWritten(this.#lanes);
    this.#highWater = this.#position;
    if (this.#state === 'RESTORING') this.#transition('RUNNING');
    return this.position;
  }

  /** Processes one batch of this partition's records (in offset order). */
  process(records: readonly SourceRecord[]): Promise<BatchResult> {
    const run = this.#inFlight.then(() => this.#processNow(records));
    this.#inFlight = run.catch(() => {});
    return run;
  }

  async #processNow(records: readonly SourceRecord[]): Promise<BatchResult> {
    const skipped: BatchResult = { consumed: 0, failed: 0, emitted: 0, outcome: 'skipped' };
    // Only a RUNNING task starts a batch; one already writing when the task is suspended finishes.
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
      for (const lane of this.#lanes) if (lane.written < 0) lane.written = lane.durable = first.offset;

    const out = new StageOutputs(this.#o.stage.sinkCount);
    const letters: DeadLetter[] = [];
    const env = this.#env;
    const now = Date.now();
    this.#lastRecord = last;
    for (const record of fresh) {
      out.begin();
      try {
        this.#o.stage.run(record, out, env, now);
      } catch (error) {
        out.rollback();
        // A record that fails again on a replay was sent to the dead-letter topic the first time.
        if (record.offset >= this.#highWater)
          letters.push({ record, failure: classifyRecordError(error, record.value) });
      }
    }
    if (env) this.#o.stage.endBatch(out, env, last);
    const late = out.late.filter((r) => r.offset >= this.#highWater);
    for (const record of late) letters.push({ record, failure: { code: 'RECORD_LATE', message: 'late' } });
    this.#late += late.length;
    // Dead letters are confirmed before any position moves past them: never lost.
    if (letters.length > 0 && !(await this.#sendDeadLetters(letters)))
      return { ...skipped, outcome: 'fenced' };

    const next = last.offset + 1;
    let rewind = false;
    for (const lane of this.#lanes) {
      const result = await this.#writeLane(lane, out, first.offset, next);
      if (result === 'fenced') {
        this.closeDirty();
        return { ...skipped, outcome: 'fenced' };
      }
      if (result === 'closed') return skipped;
      if (result === 'rewind') rewind = true;
    }
    const counted = fresh.filter((r) => r.offset >= this.#highWater).length;
    this.#consumed += counted;
    this.#failed += letters.length;
    this.#emitted += out.total;
    this.#highWater = Math.max(this.#highWater, next);
    if (rewind) this.#rewind();
    else this.#position = lowestWritten(this.#lanes);
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
   * them (every lane transactional); otherwise time moves on with the next record.
   */
  tick(now = Date.now()): Promise<void> {
    if (!this.#o.stage.timed) return Promise.resolve();
    const run = this.#inFlight.then(() => this.#tickNow(now, false));
    this.#inFlight = run.catch(() => {});
    return run;
  }

  /** The end of the input (`--stop-when-idle`): a task reading a source closes every window. */
  finish(): Promise<void> {
    if (!this.#o.stage.timed || !this.#o.stage.readsSources) return Promise.resolve();
    const run = this.#inFlight.then(() => this.#tickNow(Date.now(), true));
    this.#inFlight = run.catch(() => {});
    return run;
  }

  async #tickNow(now: number, finish: boolean): Promise<void> {
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
    if (!this.#lanes.every((l) => l.connector.kind === 'transactional')) return;
    const out = new StageOutputs(this.#o.stage.sinkCount);
    if (finish) this.#o.stage.finish(out, env, at);
    else this.#o.stage.tick(out, env, now, this.#o.caughtUp?.() ?? false, at);
    if (out.total === 0) return;
    const position = this.#position;
    for (const lane of this.#lanes) {
      const outputs = lane.connector.sinks.map((sink) => ({
        sink,
        values: out.values[sink] ?? [],
        sources: out.sources[sink] ?? [],
      }));
      if (outputs.every((o) => o.values.length === 0)) continue;
      const batch = {
        task: this.ref,
        epoch: this.#epoch,
        firstOffset: position,
        nextOffset: position,
        outputs,
      };
      const outcome = await this.#retry(`writing to sink '${lane.connector.name}'`, () =>
        lane.connector.write(batch),
      );
      if (outcome === CLOSED) return;
      if (outcome.status === 'fenced') return this.closeDirty();
      if (outcome.status === 'aborted' || outcome.status === 'refused') {
        this.#o.onError?.(
          `sink '${lane.connector.name}' refused what time passing produced`,
          outcome.error,
          1,
        );
        this.#lost(lane);
        this.#rewind();
        return;
      }
    }
    this.#emitted += out.total;
  }

  /** Hands one connector the results of [max(its written, first), next) it has not received yet. */
  async #writeLane(
    lane: Lane,
    out: StageOutputs,
    first: number,
    next: number,
  ): Promise<'ok' | 'fenced' | 'rewind' | 'closed'> {
    if (next <= lane.written) return 'ok';
    let from = Math.max(lane.written, first);
    for (;;) {
      const outputs = lane.connector.sinks.map((sink) => slice(out, sink, from, lane.refused));
      const connector = lane.connector;
      if (outputs.every((o) => o.values.length === 0)) {
        advance(lane, next);
        return 'ok';
      }
      const batch = { task: this.ref, epoch: this.#epoch, firstOffset: from, nextOffset: next, outputs };
      const outcome = await this.#retry(
        `writing to sink '${connector.name}'`,
        () => connector.write(batch),
        (error) => ({ status: 'refused' as const, error, offsets: undefined }),
      );
      if (outcome === CLOSED) return 'closed';
      switch (outcome.status) {
        case 'written':
        case 'duplicate':
          advance(lane, next);
          return 'ok';
        case 'overlap':
          if (outcome.position >= next) {
            advance(lane, next);
            return 'ok';
          }
          from = Math.max(from, outcome.position);
          continue;
        case 'fenced':
          return 'fenced';
        case 'aborted':
          this.#o.onError?.(`sink '${connector.name}' aborted its transaction`, outcome.error, 1);
          this.#lost(lane);
          return 'rewind';
        case 'refused': {
          const offsets = outcome.offsets ?? outputs.flatMap((o) => o.sources.map((s) => s.offset));
          const refused = new Set(offsets);
          const records = uniqueSources(outputs).filter((r) => refused.has(r.offset));
          const failure: RecordFailure = {
            code: 'RECORD_SINK_REFUSED',
            message: `sink '${connector.name}': ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`,
          };
          if (!(await this.#sendDeadLetters(records.map((record) => ({ record, failure }))))) return 'closed';
          this.#failed += records.length;
          for (const offset of refused) lane.refused.add(offset);
          if (connector.kind === 'transactional') {
            // What it had staged went with the aborted transaction: read it again, without these.
            this.#lost(lane);
            return 'rewind';
          }
          advance(lane, next);
          return 'ok';
        }
      }
    }
  }

  /** A transactional lane lost what it staged; when it carried the state's changelog, the state goes back too. */
  #lost(lane: Lane): void {
    lostStaged(lane);
    if (lane === this.#carrier) this.#o.state?.abort();
  }

  /** The position went back: seek now, and drop what was fetched before the seek. */
  #rewind(): void {
    const target = lowestWritten(this.#lanes);
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
    const run = this.#inFlight.then(async (): Promise<TaskSnapshot | undefined> => {
      if (this.#state !== 'RUNNING' || this.#position < 0) {
        this.declined = this.#state !== 'RUNNING' ? this.#state : 'no position yet';
        return undefined;
      }
      let prepared = false;
      for (const lane of this.#lanes) {
        const { connector } = lane;
        if (connector.kind !== 'transactional' || !connector.prepare) continue;
        const position = lane.written;
        const state = lane === this.#carrier ? this.#o.state : undefined;
        const outcome = await this.#phase(`preparing sink '${connector.name}'`, async () => {
          // The state's changes since the last checkpoint join the transaction before its offsets.
          const changes = state?.changes() ?? [];
          if (changes.length > 0 && carries(connector)) {
            const staged = await connector.stage(this.ref, this.#epoch, changes);
            if (staged !== 'done') return staged;
          }
          return connector.prepare?.(this.ref, this.#epoch, checkpointId, position);
        });
        if (outcome === 'fenced') {
          this.declined = 'fenced';
          this.closeDirty();
          return undefined;
        }
        if (outcome !== 'done') {
          this.declined = 'its transaction aborted';
          if (outcome !== CLOSED)
            this.#o.onError?.(
              `checkpoint ${checkpointId}: sink '${connector.name}' aborted its transaction`,
              outcome.aborted,
              1,
            );
          this.#lost(lane);
          this.#rewind();
          return undefined;
        }
        lane.prepared.push({ checkpointId, position });
        prepared = true;
      }
      if (prepared) this.#closeGate(checkpointId);
      return {
        task: this.#o.slot,
        topic: this.ref.topic,
        partition: this.ref.partition,
        position: this.#position,
        epoch: this.#epoch,
        state: { recordsIn: this.#consumed, recordsOut: this.#emitted, deadLettered: this.#failed },
      };
    });
    this.#inFlight = run.then(() => this.#gate).catch(() => {});
    return run;
  }

  /** No batch may join a prepared transaction: the next one waits for completion or abort. */
  #closeGate(checkpointId: number): void {
    this.#preparedFor = checkpointId;
    this.#gateSince = {
      what: `checkpoint ${checkpointId} to complete or abort (the gate)`,
      since: Date.now(),
    };
    this.#gate = new Promise<void>((resolve) => {
      // Nobody answered in time: the checkpoint counts as aborted here (a late completion is ignored).
      const timer = setTimeout(
        () => this.abortCheckpoint(checkpointId),
        this.#o.checkpointTimeoutMs ?? 10_000,
      );
      // A process may stop while a checkpoint waits: this timer must not keep it alive.
      timer.unref();
      this.#openGate = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Phase two, once the checkpoint completed: prepared transactions become visible. */
  async completeCheckpoint(checkpointId: number): Promise<void> {
    if (this.#preparedFor !== checkpointId) return;
    // The gate stays closed while committing: no batch may write into a transaction being committed.
    this.#preparedFor = undefined;
    for (const lane of this.#lanes) {
      const { connector } = lane;
      const upTo = lane.prepared.filter((p) => p.checkpointId <= checkpointId);
      if (!connector.commit || upTo.length === 0) continue;
      const outcome = await this.#phase(
        `committing sink '${connector.name}'`,
        () => connector.commit?.(this.ref, this.#epoch, checkpointId),
        true,
      );
      if (outcome === 'fenced') this.closeDirty();
      else if (outcome === 'done') {
        if (lane === this.#carrier)
          await this.#waitOn('writing committed state to disk', () => this.#o.state?.committed());
        lane.durable = upTo.at(-1)?.position ?? lane.durable;
        lane.prepared = lane.prepared.filter((p) => p.checkpointId > checkpointId);
        for (const offset of lane.refused) if (offset < lane.durable) lane.refused.delete(offset);
      } else if (outcome !== CLOSED) {
        this.#lost(lane);
        this.#rewind();
      }
    }
    this.#releaseGate();
  }

  /** The checkpoint failed elsewhere: what was prepared stays, a later checkpoint commits it. */
  abortCheckpoint(checkpointId: number): void {
    if (this.#preparedFor !== checkpointId) return;
    this.#preparedFor = undefined;
    this.#releaseGate();
  }

  /** Runs a phase of the two-phase commit; a throw is retried only when `retry` (commit must land). */
  async #phase(
    what: string,
    call: () => Promise<PhaseOutcome | undefined> | undefined,
    retry = false,
  ): Promise<PhaseOutcome | typeof CLOSED> {
    if (retry) {
      return this.#retry(what, async () => (await call()) ?? 'done');
    }
    try {
      return (await this.#waitOn(what, call)) ?? 'done';
    } catch (error) {
      this.#o.onError?.(what, error, 1);
      return { aborted: error };
    }
  }

  async #waitOn<T>(what: string, call: () => Promise<T> | T): Promise<T> {
    const waiting = { what, since: Date.now() };
    this.#waits.add(waiting);
    try {
      return await call();
    } finally {
      this.#waits.delete(waiting);
    }
  }

  #releaseGate(): void {
    this.#gate = undefined;
    this.#gateSince = undefined;
    this.#openGate?.();
    this.#openGate = undefined;
  }

  /** True once written; false if the task was closed while retrying. */
  async #sendDeadLetters(letters: DeadLetter[]): Promise<boolean> {
    const send = this.#o.deadLetters;
    if (!send) {
      const first = letters[0];
      throw new Error(
        `record ${first?.record.topic}-${first?.record.partition}@${first?.record.offset} failed (${first?.failure.code}: ${first?.failure.message}) and no dead-letter topic is configured`,
      );
    }
    return (await this.#retry('writing dead letters', () => send(letters))) !== CLOSED;
  }

  /**
   * Retries `call` until it lands or the task closes. Connectors make every retried call safe to
   * repeat (the same epoch and range). An error that says retrying cannot help goes to `permanent`.
   */
  async #retry<T>(
    what: string,
    call: () => Promise<T>,
    permanent?: (error: unknown) => T,
  ): Promise<T | typeof CLOSED> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#waitOn(what, call);
      } catch (error) {
        if (isClosed(this.#state)) return CLOSED;
        if (permanent && isPermanent(error)) return permanent(error);
        this.#o.onError?.(what, error, attempt);
        await sleep(this.#o.backoffMs?.(attempt) ?? Math.min(2000, 50 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  /** RUNNING → SUSPENDED, then waits for the batch in flight: after this, nothing more is written. */
  async suspend(): Promise<void> {
    if (this.#state === 'RUNNING') this.#transition('SUSPENDED');
    // What is prepared is the next owner's to recover: stop waiting for the checkpoint here.
    this.#preparedFor = undefined;
    this.#releaseGate();
    await this.#inFlight;
  }

  /** Closes the task's local state store (after it was handed over or lost); the disk keeps it. */
  async closeState(): Promise<void> {
    await this.#inFlight;
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
      const why = this.#lanes
        .map((l) =>
          (l.connector as { fenceReason?: (t: TaskRef) => string | undefined }).fenceReason?.(this.ref),
        )
        .filter(Boolean)
        .join('; ');
      if (why) this.#o.onError?.('fenced', new Error(why), 1);
    }
    if (!isClosed(this.#state)) this.#transition('CLOSED_DIRTY');
    this.#preparedFor = undefined;
    this.#releaseGate();
  }

  #transition(to: TaskState): void {
    if (!canTransition(this.#state, to)) throw new IllegalTaskTransition(this.id, this.#state, to);
    this.#state = to;
  }
}
