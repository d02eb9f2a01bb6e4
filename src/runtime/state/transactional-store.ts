// A task's state on local disk (LMDB: reads are synchronous memory-mapped lookups, writes one
// transaction per checkpoint), holding only what a committed Kafka transaction made durable — the
// Quix Streams / KIP-892 design. Writes go to an in-memory layer first; at a checkpoint they are
// taken (to the changelog, in the task's transaction) and kept "prepared"; only once that
// transaction committed are they written to disk, with the changelog offsets they are durable to.
// An aborted transaction drops both layers: the disk never holds an uncommitted write.
//
// Writes reach the disk as the writes of one event turn, which lmdb-js commits in order, in one
// transaction or (a long run) several: the changelog offset they are durable to comes last, so the
// disk can hold writes without their offset (read again on a restore), never an offset without its
// writes. Not `transaction()`: when the disk is full it leaves a rejected promise of its own that
// nobody can handle, and an unhandled rejection ends the process before the task can say why and
// give its partitions up (state-disk-error.ts).
//
// Reads see, in order: current writes → prepared writes → disk. Values are JSON text everywhere (the
// same bytes as the changelog), so what a job reads never depends on which layer served it.
//
// A key can also be *forgotten*: deleted here at once, its tombstone owed to the changelog for a while
// (TOMBSTONE_DELAY_MS, at most OWED_TOMBSTONES keys) and dropped when the key is written again first.
// Only for values that are dead by their own meaning once the clock committed with them has passed
// (a closed window: the stage drops it again when it finds it restored), so the changelog may hold
// them; a key that comes back soon (the next window of an active key) costs one changelog record
// instead of two, which is what Kafka Streams' window stores pay (they drop closed windows by
// segment, without tombstones).

import { createRequire } from 'node:module';
import type { Database, RootDatabase } from 'lmdb';
import type { StateStore } from './state-store.js';

/**
 * lmdb-js loaded when the first store opens, not with the module: a TaskManager of a stateless job
 * (the seed's) never opens one, and loading it costs each process ~5 MiB of private memory (its
 * native binding and the buffers it sets up at load). Synchronously, as `open` is.
 */
const lmdb = () => createRequire(import.meta.url)('lmdb') as typeof import('lmdb');

/** A change as the changelog carries it: the key, and its JSON text or null (deleted). */
export type Change = readonly [key: string, value: string | null];

/** A change read back from the changelog: the value may still be its UTF-8 bytes (LMDB stores them as they are). */
export type RestoredChange = readonly [key: string, value: string | Uint8Array | null];

const META = '\uffffmeta\u0000';

/** How long a forgotten key's tombstone waits for the key to be written again. */
export const TOMBSTONE_DELAY_MS = 60_000;
/** At most this many tombstones are owed (memory); beyond it the oldest are written at once. */
export const OWED_TOMBSTONES = 100_000;

/**
 * The commits a run of writes went into. The writes of one turn share one commit and return its
 * promise; a long run is split into several (lmdb-js starts a new one as its write buffer fills).
 * Every one is awaited: a failed commit that nobody awaits is an unhandled rejection.
 */
class Commits {
  readonly #promises: Promise<boolean>[] = [];
  #last: Promise<boolean> | undefined;

  add(write: Promise<boolean>): void {
    if (write === this.#last) return;
    this.#last = write;
    this.#promises.push(write);
  }

  async all(): Promise<void> {
    await Promise.all(this.#promises);
  }
}

export class TransactionalStore implements StateStore {
  readonly #root: RootDatabase;
  readonly #db: Database<string, string>;
  #current = new Map<string, string | null>();
  #prepared = new Map<string, string | null>();
  /** Keys of `current` deleted by forget(): no tombstone for them in this checkpoint. */
  #quiet = new Set<string>();
  /** Forgotten keys → when their tombstone is due (insertion order is due order). */
  readonly #owed = new Map<string, number>();
  /**
   * The last key read from disk and its text: a step reads a key, then writing it reads it again
   * (the record's undo), so one entry halves the disk reads. Only disk writes make it stale.
   */
  #lastRead: { key: string; text: string | undefined } | undefined;

  private constructor(root: RootDatabase) {
    this.#root = root;
    this.#db = root.openDB<string, string>({ name: 'state', encoding: 'string' });
  }

  /** Opens (or creates) the store in `dir`. */
  static open(dir: string): TransactionalStore {
    return new TransactionalStore(lmdb().open({ path: dir, maxDbs: 4, compression: false }));
  }

  get(key: string): unknown {
    const text = this.#text(key);
    return text === null || text === undefined ? undefined : JSON.parse(text);
  }

  put(key: string, value: unknown): void {
    this.#current.set(key, JSON.stringify(value));
    if (this.#quiet.size !== 0) this.#quiet.delete(key);
  }

  delete(key: string): void {
    this.#current.set(key, null);
    if (this.#quiet.size !== 0) this.#quiet.delete(key);
  }

  /** Deletes a dead value; its tombstone reaches the changelog later, if the key stays deleted. */
  forget(key: string): void {
    this.#current.set(key, null);
    this.#quiet.add(key);
  }

  text(key: string): string | undefined {
    return this.#text(key) ?? undefined;
  }

  putText(key: string, text: string): void {
    this.#current.set(key, text);
    if (this.#quiet.size !== 0) this.#quiet.delete(key);
  }

  *scan(prefix: string): Iterable<[string, unknown]> {
    const merged = new Map<string, string | null>();
    for (const { key, value } of this.#db.getRange({ start: prefix, end: `${prefix}\uffff` }))
      merged.set(key, value);
    for (const layer of [this.#prepared, this.#current])
      for (const [key, value] of layer) if (key.startsWith(prefix)) merged.set(key, value);
    for (const key of [...merged.keys()].sort()) {
      const value = merged.get(key);
      if (value !== null && value !== undefined) yield [key, JSON.parse(value)];
    }
  }

  keysAfter(prefix: string, after: string, limit: number): string[] {
    // The range's start is inclusive: `after` plus the lowest character is the first key past it.
    const start = after === '' ? prefix : `${after}\u0000`;
    return [...this.#db.getKeys({ start, end: `${prefix}\uffff`, limit })];
  }

  /**
   * Phase one: the writes since the last call, last value per key (they stay readable as prepared),
   * and the owed tombstones now due whose keys are still deleted.
   */
  takeChanges(now = Date.now()): Change[] {
    const changes: Change[] = [];
    const quiet = this.#quiet;
    const owed = this.#owed;
    for (const [key, value] of this.#current) {
      this.#prepared.set(key, value);
      if (value === null && quiet.has(key)) {
        owed.delete(key); // to the end of the due order
        owed.set(key, now + TOMBSTONE_DELAY_MS);
        continue;
      }
      // Written again: the value (or tombstone) written now takes the owed tombstone's place.
      if (owed.size !== 0) owed.delete(key);
      changes.push([key, value]);
    }
    this.#current = new Map();
    if (quiet.size !== 0) this.#quiet = new Set();
    for (const [key, due] of owed) {
      if (due > now && owed.size <= OWED_TOMBSTONES) break;
      owed.delete(key);
      const text = this.#text(key);
      if (text === null || text === undefined) changes.push([key, null]);
    }
    return changes;
  }

  /** Tombstones owed to the changelog (the dashboard's and the tests' view). */
  get owedTombstones(): number {
    return this.#owed.size;
  }

  /**
   * The transaction that carried the prepared writes committed: they go to disk, with how far each
   * changelog now holds them. `sent`: the records that transaction carried, per changelog topic (of
   * this task's one partition each). Its commit took one more offset there (the commit marker), so
   * the changelog's end is at least the recorded offset + records + 1 — a lower bound whatever else
   * reached the partition meanwhile (an aborted transaction's records and marker), and every
   * committed change before it is on disk now: a restore on this host reads from there.
   */
  async committed(sent: ReadonlyMap<string, number> = new Map()): Promise<void> {
    const prepared = this.#prepared;
    const offsets = new Map<string, number>();
    for (const [topic, records] of sent) {
      const before = this.offset(topic);
      if (records > 0 && before !== undefined) offsets.set(topic, before + records + 1);
    }
    if (prepared.size === 0 && offsets.size === 0) return;
    const commits = new Commits();
    for (const [key, value] of prepared)
      commits.add(value === null ? this.#db.remove(key) : this.#db.put(key, value));
    for (const [topic, offset] of offsets)
      commits.add(this.#db.put(`${META}offset\u0000${topic}`, String(offset)));
    await commits.all();
    this.#lastRead = undefined;
    // Writes made while the disk write ran stay in `current`; only what was committed leaves this layer.
    if (this.#prepared === prepared) this.#prepared = new Map();
  }

  /**
   * The transaction was aborted: drop every write that was not committed. Owed tombstones stay: each
   * is written only if its key is still deleted when it is due.
   */
  abort(): void {
    this.#current = new Map();
    this.#prepared = new Map();
    this.#quiet = new Set();
  }

  /** Applies committed changelog records straight to disk (a restore), with the offset read to. */
  async restore(changes: readonly RestoredChange[], topic: string, nextOffset: number): Promise<void> {
    const commits = new Commits();
    for (const [key, value] of changes) {
      if (value === null) commits.add(this.#db.remove(key));
      // Bytes are stored as they are, and this string database reads them back as that UTF-8
      // text: no decode here and encode again (~20 % of the store's part of a restore).
      else commits.add(this.#db.put(key, value as string));
    }
    commits.add(this.#db.put(`${META}offset\u0000${topic}`, String(nextOffset)));
    await commits.all();
    this.#lastRead = undefined;
  }

  /** The changelog offset the disk is durable to (read from here on a restore), if recorded. */
  offset(topic: string): number | undefined {
    const text = this.#db.get(`${META}offset\u0000${topic}`);
    return text === undefined ? undefined : Number(text);
  }

  /** Which run the disk belongs to: another run's state is dropped. */
  get runId(): string | undefined {
    return this.#db.get(`${META}run`);
  }

  async reset(runId: string): Promise<void> {
    this.abort();
    this.#owed.clear();
    await this.#db.clearAsync();
    this.#lastRead = undefined;
    await this.#db.put(`${META}run`, runId);
  }

  /** Entries on disk (state, timers, clock), for the dashboard and the footprint bench. */
  get entries(): number {
    return this.#db.getCount({ start: '', end: '\uffff' });
  }

  get pending(): number {
    return this.#current.size + this.#prepared.size;
  }

  async close(): Promise<void> {
    await this.#root.close();
  }

  #text(key: string): string | null | undefined {
    const current = this.#current.get(key);
    if (current !== undefined) return current;
    const prepared = this.#prepared.get(key);
    if (prepared !== undefined) return prepared;
    const last = this.#lastRead;
    if (last?.key === key) return last.text;
    const text = this.#db.get(key);
    this.#lastRead = { key, text };
    return text;
  }
}
