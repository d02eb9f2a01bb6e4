// The key-value view a task's stateful steps read and write, synchronously (one awaited read costs
// ~60 µs: the hot path cannot await). Keys are text laid out by `state-keys.ts`; values are
// JSON-able. Two implementations: the Map the test driver uses, and the task's transactional
// store (runtime/state/transactional-store.ts) that keeps uncommitted writes apart from its disk.

export interface StateStore {
  /** The value, or undefined when the key has none. */
  get(key: string): unknown;
  put(key: string, value: unknown): void;
  delete(key: string): void;
  /**
   * Deletes a value that is dead by its own meaning (a closed window): its tombstone may reach the
   * changelog later, and a restore may bring the value back, for the stage to drop again.
   */
  forget(key: string): void;
  /** Every entry whose key starts with `prefix`, in key order (opening a task: its timers). */
  scan(prefix: string): Iterable<[string, unknown]>;
  /**
   * Up to `limit` keys under `prefix` that sort after `after`, in key order: a sweep's next page.
   * The durable store pages its disk only (what was written since the last commit comes up on a
   * later pass); a sweep reads each key's value through `get`, which sees every layer.
   */
  keysAfter(prefix: string, after: string, limit: number): string[];
  /** The value's JSON text (undefined: none): a record's undo keeps and restores it unparsed. */
  text(key: string): string | undefined;
  putText(key: string, text: string): void;
}

/** All in memory: the test driver's store (nothing to restore, nothing to commit). */
export class MemoryStateStore implements StateStore {
  readonly #map = new Map<string, string>();

  get(key: string): unknown {
    const text = this.#map.get(key);
    // Kept as JSON, as the durable store keeps it: a job that mutates what it read without `set`
    // behaves the same in a unit test as on the cluster.
    return text === undefined ? undefined : JSON.parse(text);
  }

  put(key: string, value: unknown): void {
    this.#map.set(key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  forget(key: string): void {
    this.#map.delete(key);
  }

  text(key: string): string | undefined {
    return this.#map.get(key);
  }

  putText(key: string, text: string): void {
    this.#map.set(key, text);
  }

  keysAfter(prefix: string, after: string, limit: number): string[] {
    // Sorts every call: the test driver's state is small; the durable store pages an index instead.
    return [...this.#map.keys()]
      .filter((k) => k.startsWith(prefix) && k > after)
      .sort()
      .slice(0, limit);
  }

  *scan(prefix: string): Iterable<[string, unknown]> {
    const keys = [...this.#map.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) yield [key, this.get(key)];
  }

  get size(): number {
    return this.#map.size;
  }
}
