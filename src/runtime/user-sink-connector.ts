// A user's sink (`defineSink`) behind the runtime's connector contract. The user writes; this
// adapter gives each record its stable id, calls the hooks at the right moments, and turns what
// the user's code throws into outcomes: `retriable: false` refuses the records (dead-letter topic),
// anything else is retried — by calling again (idempotent sinks) or, for a transactional sink, by
// dropping the open transaction and letting the task read its records again (a write that failed
// half way is never repeated into the same transaction).

import type { SourceRecord } from '../api/records.js';
import type { SinkBatch, SinkRecord, TransactionalSinkSpec, UserSink } from '../api/sinks.js';
import {
  type ConnectorBatch,
  isPermanent,
  type PhaseOutcome,
  type SinkConnector,
  type SinkOutput,
  type TaskLease,
  type TaskRef,
  type WriteOutcome,
} from '../connectors/sink-connector.js';

export class UserSinkConnector implements SinkConnector {
  readonly kind: 'idempotent' | 'transactional';
  readonly keepsPosition = false;
  readonly commitsOffsets = false;
  readonly preparedSurvivesAbort = true;
  readonly name: string;
  readonly sinks: readonly number[];
  readonly #sink: UserSink<unknown>;
  readonly #context: { jobName: string; taskManagerId: string };

  constructor(sink: UserSink<unknown>, index: number, context: { jobName: string; taskManagerId: string }) {
    this.#sink = sink;
    this.name = sink.name;
    this.sinks = [index];
    this.kind = sink.transactional ? 'transactional' : 'idempotent';
    this.#context = context;
  }

  get #tx(): TransactionalSinkSpec<unknown> {
    return this.#sink.spec as TransactionalSinkSpec<unknown>;
  }

  async open(): Promise<void> {
    await this.#sink.spec.open?.(this.#context);
  }

  async restore(task: TaskRef, lease: TaskLease): Promise<{ position: undefined }> {
    if (this.#sink.transactional)
      await this.#tx.recover(task, lease.checkpointId < 0 ? undefined : lease.checkpointId);
    return { position: undefined };
  }

  async write(batch: ConnectorBatch): Promise<WriteOutcome> {
    const output = batch.outputs[0];
    const userBatch: SinkBatch<unknown> = {
      task: batch.task,
      epoch: batch.epoch,
      firstOffset: batch.firstOffset,
      nextOffset: batch.nextOffset,
      records: output ? sinkRecords(output.values, output.sources) : [],
    };
    try {
      await this.#sink.spec.write(userBatch);
      return { status: 'written' };
    } catch (error) {
      if (!this.#sink.transactional) {
        if (isPermanent(error)) return { status: 'refused', error, offsets: undefined };
        throw error;
      }
      await this.#tx.abort(batch.task);
      return isPermanent(error)
        ? { status: 'refused', error, offsets: undefined }
        : { status: 'aborted', error };
    }
  }

  /**
   * An idempotent sink's results of time passing (transactional ones get them in the transaction):
   * ids `<topic>-<partition>-t<n>-<i>` from the task's number for them, the same after a crash, so
   * writing them again changes nothing. No source record: offset -1, key null, timestamp 0, and the
   * batch's range [-1, -1).
   */
  async writeHeld(task: TaskRef, seq: number, outputs: readonly SinkOutput[]): Promise<'written'> {
    const values = outputs.flatMap((o) => o.values);
    await this.#sink.spec.write({
      task,
      epoch: 0,
      firstOffset: -1,
      nextOffset: -1,
      records: values.map((value, i) => ({
        value,
        id: `${task.topic}-${task.partition}-t${seq}-${i}`,
        key: null,
        timestamp: 0,
        offset: -1,
      })),
    });
    return 'written';
  }

  async prepare(task: TaskRef, _epoch: number, checkpointId: number): Promise<PhaseOutcome> {
    try {
      await this.#tx.prepare(task, checkpointId);
      return 'done';
    } catch (error) {
      await this.#tx.abort(task);
      return { aborted: error };
    }
  }

  /** Throws what the user's commit throws: the task retries it until it lands (it must be idempotent). */
  async commit(task: TaskRef, _epoch: number, checkpointId: number): Promise<PhaseOutcome> {
    await this.#tx.commit(task, checkpointId);
    return 'done';
  }

  async release(task: TaskRef): Promise<void> {
    if (this.#sink.transactional) await this.#tx.abort(task);
  }

  async close(): Promise<void> {
    await this.#sink.spec.close?.();
  }
}

/** Results with their ids: `<topic>-<partition>-<offset>-<n>`, n counting the results of one source record. */
function sinkRecords(values: readonly unknown[], sources: readonly SourceRecord[]): SinkRecord<unknown>[] {
  const records: SinkRecord<unknown>[] = new Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const source = sources[i] as SourceRecord;
    // The same record by position, not identity: a timer that fires after a record (a window it
    // closed) emits under a copy of it with the timer's key and time.
    n = i > 0 && sameRecord(sources[i - 1] as SourceRecord, source) ? n + 1 : 0;
    const key = source.key;
    records[i] = {
      value: values[i],
      id: `${source.topic}-${source.partition}-${source.offset}-${n}`,
      key: key === null || key === undefined ? null : typeof key === 'string' ? key : key.toString('utf8'),
      timestamp: source.timestamp ?? 0,
      offset: source.offset,
    };
  }
  return records;
}

function sameRecord(a: SourceRecord, b: SourceRecord): boolean {
  return a.offset === b.offset && a.partition === b.partition && a.topic === b.topic;
}
