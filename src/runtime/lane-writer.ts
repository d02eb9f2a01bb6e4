// The connector-facing half of a task: it hands each connector ("lane", sink-lanes.ts) the results
// it has not received yet, does the two phases of the commit, and keeps a stateful task's state in
// step with the lane that carries its changelog (Kafka): a transaction that lane loses takes the
// uncommitted state with it. It answers with outcomes; the task decides to rewind or close.

import type { RecordFailure } from '../api/record-error.js';
import type { DeadLetter } from '../connectors/kafka/dead-letter-queue.js';
import type { InternalRecord } from '../connectors/kafka/kafka-sink-connector.js';
import type { PhaseOutcome, SinkConnector, TaskLease, TaskRef } from '../connectors/sink-connector.js';
import type { StageOutputs } from './compile-stage.js';
import {
  advance,
  type Lane,
  lostStaged,
  lowestWritten,
  newLane,
  slice,
  uniqueSources,
} from './sink-lanes.js';
import type { TaskStateBackend } from './state/task-state-backend.js';
import { CLOSED, type TaskCalls } from './task-calls.js';

/** The connector that carries a stateful task's changelog: the one with a `stage` method (Kafka). */
interface ChangelogCarrier extends SinkConnector {
  stage(task: TaskRef, epoch: number, records: readonly InternalRecord[]): Promise<PhaseOutcome>;
}

function carries(connector: SinkConnector): connector is ChangelogCarrier {
  return typeof (connector as Partial<ChangelogCarrier>).stage === 'function';
}

/** What a write or a phase left the task to do. */
export type LaneOutcome = 'ok' | 'fenced' | 'rewind' | 'closed';

export interface LaneWriterOptions {
  readonly task: TaskRef;
  readonly connectors: readonly SinkConnector[];
  readonly calls: TaskCalls;
  readonly state: TaskStateBackend | undefined;
  /** Sends records to the dead-letter topic; false when the task closed meanwhile. */
  readonly deadLetters: (letters: DeadLetter[]) => Promise<boolean>;
  /** Records a connector refused for good went to the dead-letter topic. */
  readonly onRefused: (records: number) => void;
  readonly onError?: ((what: string, error: unknown, attempt: number) => void) | undefined;
}

export class LaneWriter {
  readonly lanes: Lane[];
  /** The lane whose transaction carries the state's changelog (stateful tasks). */
  readonly carrier: Lane | undefined;
  readonly #o: LaneWriterOptions;

  constructor(options: LaneWriterOptions) {
    this.#o = options;
    this.lanes = options.connectors.map(newLane);
    this.carrier = options.state ? this.lanes.find((l) => carries(l.connector)) : undefined;
    if (options.state && !this.carrier)
      throw new Error(
        `task ${options.task.id} keeps state but has no Kafka connector to carry its changelog`,
      );
  }

  /**
   * A new owner's start: each connector fences earlier owners and says where its durable output
   * ends (one without a record of its own counts from the lease's checkpointed position), never
   * before `floor` (the run's start). With state, every lane resumes at the carrier's committed
   * offset: the state is durable exactly to there (a lane ahead of it refuses the replay by its guard).
   */
  async restore(lease: TaskLease, floor: number): Promise<LaneOutcome> {
    const base = Math.max(lease.position, floor);
    for (const lane of this.lanes) {
      const restored = await this.#o.calls.retry(`restoring sink '${lane.connector.name}'`, () =>
        lane.connector.restore(this.#o.task, lease),
      );
      if (restored === CLOSED) return 'closed';
      if (restored === 'fenced') return 'fenced';
      const own = lane.connector.keepsPosition ? (restored.position ?? floor) : base;
      lane.written = lane.durable = Math.max(own, floor);
    }
    const carrier = this.carrier;
    if (this.#o.state && carrier)
      for (const lane of this.lanes)
        if (lane.written < carrier.written) lane.written = lane.durable = carrier.written;
    return 'ok';
  }

  /** Where the task must read from: the lowest point any lane still needs. */
  get lowestWritten(): number {
    return lowestWritten(this.lanes);
  }

  /**
   * True when results of time passing (no record of their own) have somewhere exact to go: every
   * lane holds them in its transaction, or the task keeps state (a transaction carries it) and each
   * other lane takes them held (`writeHeld`: decided in that transaction, applied once after it).
   */
  get takesTimeResults(): boolean {
    return this.lanes.every(
      (l) =>
        l.connector.kind === 'transactional' ||
        (this.carrier !== undefined && l.connector.writeHeld !== undefined),
    );
  }

  /** Holds the results of time passing for lanes outside the transaction in the task's state, if any. */
  hold(out: StageOutputs): void {
    const held: Record<number, unknown[]> = {};
    let any = false;
    for (const lane of this.lanes) {
      if (lane.connector.kind === 'transactional') continue;
      for (const sink of lane.connector.sinks) {
        const values = out.values[sink];
        if (!values || values.length === 0) continue;
        held[sink] = [...values];
        any = true;
      }
    }
    if (any) this.#o.state?.env?.hold(held);
  }

  /**
   * After a commit: held results it made durable (or that a restore brought back, committed by an
   * earlier owner) go to the lanes outside the transaction, each number once, then leave the state.
   */
  async writeHeld(): Promise<void> {
    const env = this.#o.state?.env;
    // A task whose every lane is transactional holds nothing: no scan of its state per checkpoint.
    if (!env || this.lanes.every((l) => l.connector.kind === 'transactional')) return;
    for (const [seq, results] of env.heldResults()) {
      if (!(await this.#writeHeldTo(seq, results))) return;
      env.release(seq);
    }
  }

  /**
   * One held result to every lane outside the transaction; false when the task closed meanwhile.
   * Retried until it lands, also when Redis refuses it (a key of the wrong type): it has no record
   * to dead-letter, so the task waits, named in its stall report, until the key is fixed.
   */
  async #writeHeldTo(seq: number, results: Readonly<Record<number, readonly unknown[]>>): Promise<boolean> {
    for (const { connector } of this.lanes) {
      if (connector.kind === 'transactional' || !connector.writeHeld) continue;
      const write = connector.writeHeld.bind(connector);
      const outputs = connector.sinks.map((sink) => ({ sink, values: results[sink] ?? [], sources: [] }));
      if (outputs.every((o) => o.values.length === 0)) continue;
      const outcome = await this.#o.calls.retry(
        `writing results of time passing #${seq} to sink '${connector.name}'`,
        () => write(this.#o.task, seq, outputs),
      );
      if (outcome === CLOSED) return false;
    }
    return true;
  }

  /** Why a connector last refused the task as fenced (for the error report). */
  fenceReason(): string {
    return this.lanes
      .map((l) =>
        (l.connector as { fenceReason?: (t: TaskRef) => string | undefined }).fenceReason?.(this.#o.task),
      )
      .filter(Boolean)
      .join('; ');
  }

  /** Hands every lane the results of [first, next) it has not received yet. */
  async write(out: StageOutputs, first: number, next: number, epoch: number): Promise<LaneOutcome> {
    let result: LaneOutcome = 'ok';
    for (const lane of this.lanes) {
      const outcome = await this.#writeLane(lane, out, first, next, epoch);
      if (outcome === 'fenced' || outcome === 'closed') return outcome;
      if (outcome === 'rewind') result = 'rewind';
    }
    return result;
  }

  /** Results of time passing (no record of their own): into every transactional lane's open transaction. */
  async writeTimeResults(out: StageOutputs, position: number, epoch: number): Promise<LaneOutcome> {
    for (const lane of this.lanes) {
      if (lane.connector.kind !== 'transactional') continue; // held instead (hold)
      const outputs = lane.connector.sinks.map((sink) => ({
        sink,
        values: out.values[sink] ?? [],
        sources: out.sources[sink] ?? [],
      }));
      if (outputs.every((o) => o.values.length === 0)) continue;
      const batch = { task: this.#o.task, epoch, firstOffset: position, nextOffset: position, outputs };
      const outcome = await this.#o.calls.retry(`writing to sink '${lane.connector.name}'`, () =>
        lane.connector.write(batch),
      );
      if (outcome === CLOSED) return 'closed';
      if (outcome.status === 'fenced') return 'fenced';
      if (outcome.status === 'aborted' || outcome.status === 'refused') {
        this.#o.onError?.(
          `sink '${lane.connector.name}' refused what time passing produced`,
          outcome.error,
          1,
        );
        this.lost(lane);
        return 'rewind';
      }
    }
    return 'ok';
  }

  /**
   * Phase one at a batch boundary: the state's changes join the carrier's transaction, then each
   * transactional connector prepares. 'prepared' when any did (the task closes its gate).
   */
  async prepare(checkpointId: number, epoch: number): Promise<LaneOutcome | 'prepared'> {
    let prepared = false;
    for (const lane of this.lanes) {
      const { connector } = lane;
      if (connector.kind !== 'transactional' || !connector.prepare) continue;
      const position = lane.written;
      const state = lane === this.carrier ? this.#o.state : undefined;
      const outcome = await this.#o.calls.phase(`preparing sink '${connector.name}'`, async () => {
        // The state's changes since the last checkpoint join the transaction before its offsets.
        const changes = state?.changes() ?? [];
        if (changes.length > 0 && carries(connector)) {
          const staged = await connector.stage(this.#o.task, epoch, changes);
          if (staged !== 'done') return staged;
        }
        return connector.prepare?.(this.#o.task, epoch, checkpointId, position);
      });
      if (outcome === 'fenced') return 'fenced';
      if (outcome !== 'done') {
        if (outcome !== CLOSED)
          this.#o.onError?.(
            `${checkpointId === 0 ? "the task's own commit" : `checkpoint ${checkpointId}`}: sink '${connector.name}' aborted its transaction`,
            outcome.aborted,
            1,
          );
        this.lost(lane);
        return 'rewind';
      }
      lane.prepared.push({ checkpointId, position });
      prepared = true;
    }
    return prepared ? 'prepared' : 'ok';
  }

  /** Phase two: what was prepared up to the checkpoint becomes visible, and the state goes to disk. */
  async commit(checkpointId: number, epoch: number): Promise<LaneOutcome> {
    let result: LaneOutcome = 'ok';
    for (const lane of this.lanes) {
      const { connector } = lane;
      const upTo = lane.prepared.filter((p) => p.checkpointId <= checkpointId);
      if (!connector.commit || upTo.length === 0) continue;
      const outcome = await this.#o.calls.phase(
        `committing sink '${connector.name}'`,
        () => connector.commit?.(this.#o.task, epoch, checkpointId),
        true,
      );
      if (outcome === 'fenced') result = 'fenced';
      else if (outcome === 'done') {
        if (lane === this.carrier)
          await this.#o.calls.waitOn('writing committed state to disk', () => this.#o.state?.committed());
        lane.durable = upTo.at(-1)?.position ?? lane.durable;
        lane.prepared = lane.prepared.filter((p) => p.checkpointId > checkpointId);
        for (const offset of lane.refused) if (offset < lane.durable) lane.refused.delete(offset);
      } else if (outcome !== CLOSED) {
        this.lost(lane);
        if (result === 'ok') result = 'rewind';
      }
    }
    return result;
  }

  /** A transactional lane lost what it staged; when it carried the state's changelog, the state goes back too. */
  lost(lane: Lane): void {
    lostStaged(lane);
    if (lane === this.carrier) this.#o.state?.abort();
  }

  /** Hands one connector the results of [max(its written, first), next) it has not received yet. */
  async #writeLane(
    lane: Lane,
    out: StageOutputs,
    first: number,
    next: number,
    epoch: number,
  ): Promise<LaneOutcome> {
    if (next <= lane.written) return 'ok';
    let from = Math.max(lane.written, first);
    const connector = lane.connector;
    for (;;) {
      const outputs = connector.sinks.map((sink) => slice(out, sink, from, lane.refused));
      if (outputs.every((o) => o.values.length === 0)) {
        advance(lane, next);
        return 'ok';
      }
      const batch = { task: this.#o.task, epoch, firstOffset: from, nextOffset: next, outputs };
      const outcome = await this.#o.calls.retry(
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
          this.lost(lane);
          return 'rewind';
        case 'refused': {
          const offsets = outcome.offsets ?? outputs.flatMap((o) => o.sources.map((s) => s.offset));
          const refused = new Set(offsets);
          const records = uniqueSources(outputs).filter((r) => refused.has(r.offset));
          const failure: RecordFailure = {
            code: 'RECORD_SINK_REFUSED',
            message: `sink '${connector.name}': ${outcome.error instanceof Error ? outcome.error.message : String(outcome.error)}`,
          };
          if (!(await this.#o.deadLetters(records.map((record) => ({ record, failure }))))) return 'closed';
          this.#o.onRefused(records.length);
          for (const offset of refused) lane.refused.add(offset);
          if (connector.kind === 'transactional') {
            // What it had staged went with the aborted transaction: read it again, without these.
            this.lost(lane);
            return 'rewind';
          }
          advance(lane, next);
          return 'ok';
        }
      }
    }
  }
}
