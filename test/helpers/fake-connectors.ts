// In-memory sink connectors with the contracts of the real ones, for unit tests of tasks: a guarded
// one (epoch fencing, its own positions, duplicates, overlaps — the Redis sinks' contract) and a
// transactional one with Kafka's shape (one open transaction per task holding results and offsets;
// a failure aborts it). Integration tests use the real connectors.

import type { SourceRecord } from '../../src/api/records.js';
import type {
  ConnectorBatch,
  PhaseOutcome,
  SinkConnector,
  TaskLease,
  TaskRef,
  WriteOutcome,
} from '../../src/connectors/sink-connector.js';
import type { TaskLeases } from '../../src/runtime/task-lease-store.js';

/** Leases in memory: epochs go up by one per claim; positions as a checkpoint would record them. */
export class MemoryLeases implements TaskLeases {
  readonly epochs = new Map<string, number>();
  readonly positions = new Map<string, { position: number; checkpointId: number }>();

  async claim(task: TaskRef): Promise<TaskLease> {
    const epoch = (this.epochs.get(task.id) ?? 0) + 1;
    this.epochs.set(task.id, epoch);
    const at = this.positions.get(task.id);
    return { epoch, position: at?.position ?? -1, checkpointId: at?.checkpointId ?? -1 };
  }

  async epoch(task: TaskRef): Promise<number> {
    return this.epochs.get(task.id) ?? 0;
  }
}

export class FakeGuardedConnector implements SinkConnector {
  readonly name = 'guarded';
  readonly kind = 'guarded';
  readonly keepsPosition = true;
  readonly commitsOffsets = false;
  readonly sinks: readonly number[];
  readonly positions = new Map<string, number>();
  readonly epochs = new Map<string, number>();
  readonly applied: { task: string; values: unknown[]; range: [number, number] }[] = [];
  /** Makes the next N writes throw (a Redis outage). */
  failNext = 0;
  /** Makes the next write refuse for good. */
  refuseNext: unknown;
  /** Holds writes until released (to test draining). */
  gate: Promise<void> | undefined;

  constructor(sinks: readonly number[] = [0]) {
    this.sinks = sinks;
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async release(): Promise<void> {}

  async restore(task: TaskRef, lease: TaskLease): Promise<{ position: number | undefined } | 'fenced'> {
    if (lease.epoch < (this.epochs.get(task.id) ?? 0)) return 'fenced';
    this.epochs.set(task.id, lease.epoch);
    return { position: this.positions.get(task.id) };
  }

  async write(batch: ConnectorBatch): Promise<WriteOutcome> {
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection refused');
    }
    if (this.refuseNext !== undefined) {
      const error = this.refuseNext;
      this.refuseNext = undefined;
      return { status: 'refused', error, offsets: undefined };
    }
    const id = batch.task.id;
    if (batch.epoch < (this.epochs.get(id) ?? 0)) return { status: 'fenced' };
    const position = this.positions.get(id);
    if (position !== undefined && batch.nextOffset <= position) return { status: 'duplicate' };
    if (position !== undefined && batch.firstOffset < position) return { status: 'overlap', position };
    this.positions.set(id, batch.nextOffset);
    this.applied.push({
      task: id,
      values: batch.outputs.flatMap((o) => [...o.values]),
      range: [batch.firstOffset, batch.nextOffset],
    });
    return { status: 'written' };
  }

  values(): unknown[] {
    return this.applied.flatMap((a) => a.values);
  }
}

/**
 * Kafka's shape: per task one open transaction; `prepare` adds the offset to it, `commit` makes
 * it visible (results and offset together), any failure aborts it. The "committed offset" is
 * this connector's own position record, as a consumer group's offset is for the Kafka sink.
 */
export class FakeTransactionalConnector implements SinkConnector {
  readonly name = 'transactional';
  readonly kind = 'transactional';
  readonly keepsPosition = true;
  readonly commitsOffsets = true;
  readonly sinks: readonly number[];
  /** What read_committed readers see. */
  readonly visible: unknown[] = [];
  readonly committedOffsets = new Map<string, number>();
  readonly #open = new Map<string, { values: unknown[]; offset: number | undefined }>();
  /** The n-th send (counting values) of the next write fails, after the ones before it were staged. */
  failSendAt: number | undefined;
  /** The next commit fails (not fenced). */
  failNextCommit = false;
  /** Set: the next prepare waits for it (a slow broker). */
  holdPrepare: Promise<void> | undefined;
  aborts = 0;

  constructor(sinks: readonly number[] = [0]) {
    this.sinks = sinks;
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async restore(task: TaskRef): Promise<{ position: number | undefined }> {
    this.#open.delete(task.id);
    return { position: this.committedOffsets.get(task.id) };
  }

  async write(batch: ConnectorBatch): Promise<WriteOutcome> {
    const txn = this.#open.get(batch.task.id) ?? { values: [], offset: undefined };
    this.#open.set(batch.task.id, txn);
    let sent = 0;
    for (const output of batch.outputs) {
      for (const value of output.values) {
        if (this.failSendAt !== undefined && ++sent === this.failSendAt) {
          this.failSendAt = undefined;
          this.#abort(batch.task.id);
          return { status: 'aborted', error: new Error('send failed') };
        }
        txn.values.push(value);
      }
    }
    return { status: 'written' };
  }

  async prepare(
    task: TaskRef,
    _epoch: number,
    _checkpointId: number,
    position: number,
  ): Promise<PhaseOutcome> {
    const hold = this.holdPrepare;
    this.holdPrepare = undefined;
    await hold;
    const txn = this.#open.get(task.id) ?? { values: [], offset: undefined };
    txn.offset = position;
    this.#open.set(task.id, txn);
    return 'done';
  }

  async commit(task: TaskRef): Promise<PhaseOutcome> {
    const txn = this.#open.get(task.id);
    if (this.failNextCommit) {
      this.failNextCommit = false;
      this.#abort(task.id);
      return { aborted: new Error('commit failed') };
    }
    if (!txn) return 'done';
    this.visible.push(...txn.values);
    if (txn.offset !== undefined) this.committedOffsets.set(task.id, txn.offset);
    this.#open.delete(task.id);
    return 'done';
  }

  async release(task: TaskRef): Promise<void> {
    this.#abort(task.id);
  }

  #abort(task: string): void {
    if (this.#open.delete(task)) this.aborts++;
  }
}

/** Records 0..n of a partition whose value is {"id": offset}. */
export function recs(partition: number, from: number, to: number, topic = 't'): SourceRecord[] {
  return Array.from({ length: to - from }, (_, i) => ({
    topic,
    partition,
    offset: from + i,
    key: null,
    value: Buffer.from(JSON.stringify({ id: from + i })),
    timestamp: 0,
  }));
}
