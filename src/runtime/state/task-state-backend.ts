// A stateful task's state: its local store, the changelog partitions behind it, and the stage
// environment (clock, timers) opened over it. The task drives it through the checkpoint:
//   restore    — the store reads each step's changelog, read_committed, from the offset it is
//                durable to (or the run's start) to the end, before the task takes a record;
//   changes    — at phase one, the writes since the last checkpoint become changelog records in
//                the task's transaction (last value per key, a tombstone per delete);
//   committed  — once that transaction committed, they are written to disk;
//   abort      — the transaction is gone: the writes are dropped, and the clock and timers are
//                read back from what is committed (the task reads the records again).

import { mkdirSync } from 'node:fs';
import type { ChangelogReader } from '../../connectors/kafka/changelog-reader.js';
import type { InternalRecord } from '../../connectors/kafka/kafka-sink-connector.js';
import type { SluiceError } from '../../errors/sluice-error.js';
import type { CompiledStage } from '../compile-stage.js';
import type { StageEnvironment } from '../keyed/stage-environment.js';
import { stateDiskError } from './state-disk-error.js';
import { stepOf } from './state-keys.js';
import { TransactionalStore } from './transactional-store.js';

export interface StateBackendOptions {
  /** The task's directory on this host's disk. */
  readonly dir: string;
  readonly runId: string;
  readonly stage: CompiledStage;
  /** The task's input topic-partition (its clock's rule) and its changelog partition. */
  readonly topic: string;
  readonly partition: number;
  readonly changelogPartition: number;
  /** Step name → changelog topic. */
  readonly changelogs: ReadonlyMap<string, string>;
  /** The run's first offset of a changelog partition (nothing before it is this run's). */
  readonly start: (topic: string) => number;
  /** The TaskManager's changelog reader (connected on first use). */
  readonly reader: () => Promise<ChangelogReader>;
  readonly onRestoreProgress?: (progress: RestoreProgress) => void;
  /**
   * The local disk failed the store (full, read-only): the TaskManager gives its partitions up, so
   * that another one restores the task from the changelog. Without it, the error is thrown.
   */
  readonly onDiskFailed?: (error: SluiceError) => void;
}

export interface RestoreProgress {
  readonly topic: string;
  readonly records: number;
  readonly done: boolean;
  readonly ms: number;
}

export class TaskStateBackend {
  readonly #o: StateBackendOptions;
  #store: TransactionalStore | undefined;
  #env: StageEnvironment | undefined;
  /** The last restore's progress (while restoring, and after: its totals). */
  progress: RestoreProgress | undefined;
  /** Changelog records handed to the open transaction, per topic: how far its commit takes each. */
  readonly #sent = new Map<string, number>();

  constructor(options: StateBackendOptions) {
    this.#o = options;
  }

  get env(): StageEnvironment | undefined {
    return this.#env;
  }

  get store(): TransactionalStore | undefined {
    return this.#store;
  }

  /**
   * Opens the local store and brings it to the changelogs' committed end. `stop` (checked between
   * batches) ends it early: what was read stays in the store with its offset, for the next restore.
   */
  async restore(
    stop: () => boolean = () => false,
  ): Promise<{ records: number; ms: number; stopped: boolean }> {
    const started = Date.now();
    const o = this.#o;
    let store = this.#store;
    if (!store) {
      store = await this.#onDisk('open its state store', () => {
        mkdirSync(o.dir, { recursive: true });
        return TransactionalStore.open(o.dir);
      });
      this.#store = store;
    }
    store.abort();
    const opened = store;
    if (store.runId !== o.runId) await this.#onDisk("clear another run's state", () => opened.reset(o.runId));
    let records = 0;
    this.progress = undefined;
    const reader = o.changelogs.size > 0 ? await o.reader() : undefined;
    for (const topic of o.changelogs.values()) {
      if (!reader) break;
      const from = Math.max(store.offset(topic) ?? -1, o.start(topic));
      const read = await reader.read(
        topic,
        o.changelogPartition,
        from,
        async (batch, next) => {
          await this.#onDisk('write restored state', () =>
            opened.restore(
              batch.map((r) => [r.key, r.value] as const),
              topic,
              next,
            ),
          );
          records += batch.length;
          this.#progress({ topic, records, done: false, ms: Date.now() - started });
        },
        { stop },
      );
      if (read.stopped) return { records, ms: Date.now() - started, stopped: true };
      await this.#onDisk('write restored state', () => opened.restore([], topic, read.next));
      this.#progress({ topic, records, done: true, ms: Date.now() - started });
    }
    this.#reopen();
    return { records, ms: Date.now() - started, stopped: false };
  }

  /** Phase one: the changes since the last checkpoint, as changelog records for the task's transaction. */
  changes(): InternalRecord[] {
    const store = this.#store;
    if (!store) return [];
    const o = this.#o;
    return store.takeChanges().map(([key, value]) => {
      const topic = o.changelogs.get(stepOf(key)) as string;
      this.#sent.set(topic, (this.#sent.get(topic) ?? 0) + 1);
      return {
        topic,
        partition: o.changelogPartition,
        key,
        value: value === null ? null : Buffer.from(value),
      };
    });
  }

  /**
   * The transaction committed: its writes go to disk, with how far the changelogs hold them (a
   * lower bound counted from the records it carried), so the next restore on this host reads only
   * what came after. Counted, not confirmed by a delivery report per record: those cost a call
   * into JavaScript each, a quarter of a windowed TaskManager's CPU (docs/benchmarks.md).
   */
  async committed(): Promise<void> {
    const sent = new Map(this.#sent);
    this.#sent.clear();
    const store = this.#store;
    if (!store) return;
    try {
      await this.#onDisk('write its committed state', () => store.committed(sent));
    } catch (error) {
      // The transaction committed: its writes are in the changelog, and stay readable here (prepared)
      // while the TaskManager gives the task up. Thrown on only when nobody takes the failure.
      if (!this.#o.onDiskFailed) throw error;
    }
  }

  /** The transaction was aborted: back to the committed state, clock and timers included. */
  abort(): void {
    this.#sent.clear();
    this.#store?.abort();
    this.#reopen();
  }

  async close(): Promise<void> {
    const store = this.#store;
    this.#store = undefined;
    this.#env = undefined;
    await store?.close().catch(() => {});
  }

  /** Runs a call on the local store; a failure is the disk's: told to onDiskFailed, and thrown. */
  async #onDisk<T>(doing: string, call: () => Promise<T> | T): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const failed = await stateDiskError(`${this.#o.topic}-${this.#o.partition}`, this.#o.dir, doing, error);
      this.#o.onDiskFailed?.(failed);
      throw failed;
    }
  }

  #progress(progress: RestoreProgress): void {
    this.progress = progress;
    this.#o.onRestoreProgress?.(progress);
  }

  #reopen(): void {
    const store = this.#store;
    if (!store) return;
    this.#env = this.#o.stage.open(store, this.#o.topic, this.#o.partition, Date.now());
  }
}
