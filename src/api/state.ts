// Keyed state as a job author declares and uses it: value state (one value per key) and map state
// (a small map per key), each optionally expiring. Declared by name in a keyed `process` step; the
// runtime scopes every access to the key of the record (or timer) being handled, keeps the values
// in the task's local store and makes them durable, exactly once, through a changelog topic.
// Values must survive JSON (plain objects, arrays, strings, numbers, booleans, null).

export interface StateOptions {
  /**
   * Event time after which an entry is gone: an entry written while handling event time t is
   * read as absent once the task's watermark has reached t + ttlMs, and removed from the store by
   * a sweep soon after (no timer per entry). Event time makes expiry the same on a replay as in
   * the first run. Default: never.
   */
  readonly ttlMs?: number;
}

export interface ValueStateDescriptor<V> extends StateOptions {
  readonly kind: 'value';
  /** Carries the value type only; never set. */
  readonly valueType?: V;
}

export interface MapStateDescriptor<V> extends StateOptions {
  readonly kind: 'map';
  readonly valueType?: V;
}

export type StateDescriptor = ValueStateDescriptor<unknown> | MapStateDescriptor<unknown>;

/** What a step declares: state names and their descriptors. */
export type StateSpec = Readonly<Record<string, StateDescriptor>>;

/** One value per key. */
export function valueState<V>(options: StateOptions = {}): ValueStateDescriptor<V> {
  checkTtl(options);
  return { ...options, kind: 'value' };
}

/**
 * A map per key (string keys). The whole map of a key is stored as one entry: it suits small maps
 * (a top-N, a few counters per key); a map of thousands of entries per key is rewritten on every change.
 */
export function mapState<V>(options: StateOptions = {}): MapStateDescriptor<V> {
  checkTtl(options);
  return { ...options, kind: 'map' };
}

function checkTtl(options: StateOptions): void {
  if (options.ttlMs !== undefined && !(Number.isFinite(options.ttlMs) && options.ttlMs > 0))
    throw new TypeError(`ttlMs must be a positive number of milliseconds, got ${String(options.ttlMs)}`);
}

export interface ValueState<V> {
  get(): V | undefined;
  /** Stores a copy's worth: change an object you read, then `set` it again (the store keeps JSON). */
  set(value: V): void;
  clear(): void;
}

export interface MapState<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  has(key: string): boolean;
  keys(): string[];
  entries(): [string, V][];
  readonly size: number;
  clear(): void;
}

/** The typed state a step's context carries, from its declared spec. */
export type StateOf<S extends StateSpec> = {
  readonly [N in keyof S]: S[N] extends ValueStateDescriptor<infer V>
    ? ValueState<V>
    : S[N] extends MapStateDescriptor<infer V>
      ? MapState<V>
      : never;
};
