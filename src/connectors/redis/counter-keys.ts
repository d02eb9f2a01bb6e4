// The Redis keys of a counter sink: the counter the job writes (the seed's
// SIMULATOR_REDIS_KEY_SINK_COUNTER) and, beside it, each partition's position and owner epoch.

export interface CounterKeys {
  readonly counter: string;
  readonly positions: string;
  readonly epochs: string;
}

export function counterKeys(counterKey: string): CounterKeys {
  return { counter: counterKey, positions: `${counterKey}:positions`, epochs: `${counterKey}:epochs` };
}
