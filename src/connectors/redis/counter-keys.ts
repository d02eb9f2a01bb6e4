// The Redis keys of a counter sink: the counter the job writes (the seed's
// SIMULATOR_REDIS_KEY_SINK_COUNTER) and, beside it, each partition's position and owner epoch.

export interface CounterKeys {
  readonly counter: string;
  readonly positions: string;
  readonly epochs: string;
  /** Bitmap: bit n is set once record id n was applied. */
  readonly appliedIds: string;
  /** Set of record ids applied more than once (empty unless exactly-once was broken). */
  readonly duplicateIds: string;
  /** Hash: count per key, for jobs that count by key. */
  readonly byKey: string;
}

export function counterKeys(counterKey: string): CounterKeys {
  return {
    counter: counterKey,
    positions: `${counterKey}:positions`,
    epochs: `${counterKey}:epochs`,
    appliedIds: `${counterKey}:applied_ids`,
    duplicateIds: `${counterKey}:duplicate_ids`,
    byKey: `${counterKey}:by_key`,
  };
}
