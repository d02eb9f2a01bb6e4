// A batch of a Redis sink as the writes guarded-write.lua applies (its opcodes, see the script's
// header). Pure: the connector sends them, the test driver applies them to its in-memory Redis, so
// both do exactly the same writes. Increments are summed per key (one call per key, not per record).

import type { RedisCounterSink, RedisWriteSink } from '../../api/sinks.js';
import type { CounterEncoded, WriteEncoded } from '../../plan/sink-encoders.js';
import { counterKeys } from './counter-keys.js';

export type RedisOp = string | number;

export function redisOps(
  sink: RedisCounterSink<unknown> | RedisWriteSink<unknown>,
  values: readonly unknown[],
): RedisOp[] {
  if (sink.kind === 'redis-counter') {
    const keys = counterKeys(sink.key);
    const ops: RedisOp[] = ['I', keys.counter, values.length];
    const encoded = values as readonly CounterEncoded[];
    if (sink.idOf) {
      ops.push('B', keys.appliedIds, keys.duplicateIds, encoded.length);
      for (const e of encoded) ops.push(e.id ?? 0);
    }
    if (sink.countBy) {
      const counts = new Map<string, number>();
      for (const e of encoded) if (e.key !== undefined) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
      ops.push('M', keys.byKey, counts.size);
      for (const [key, n] of counts) ops.push(key, n);
    }
    return ops;
  }
  const encoded = values as readonly WriteEncoded[];
  // Increments add up; a later SET/HSET of the same key (and field) wins: the batch's net effect.
  const net = new Map<string, WriteEncoded>();
  const additive = sink.command === 'HINCRBY' || sink.command === 'INCRBY';
  for (const e of encoded) {
    const at = e.field === undefined ? e.key : `${e.key}\u0000${e.field}`;
    const before = net.get(at);
    net.set(at, additive && before ? { ...e, value: Number(before.value) + Number(e.value) } : e);
  }
  const code = { HINCRBY: 'H', INCRBY: 'I', HSET: 'S', SET: 'K' }[sink.command];
  const ops: RedisOp[] = [];
  for (const e of net.values()) {
    ops.push(code, e.key);
    if (e.field !== undefined) ops.push(e.field);
    ops.push(e.value);
  }
  return ops;
}

/** Strings, hashes and bitmaps, as far as the Redis sinks write them: the test driver's Redis. */
export class MemoryRedis {
  readonly strings = new Map<string, string>();
  readonly hashes = new Map<string, Map<string, string>>();
  readonly sets = new Map<string, Set<string>>();
  readonly #bits = new Map<string, Set<number>>();

  apply(ops: readonly RedisOp[]): void {
    for (let i = 0; i < ops.length; ) {
      const op = ops[i];
      if (op === 'I') {
        const key = String(ops[i + 1]);
        this.strings.set(key, String(Number(this.strings.get(key) ?? 0) + Number(ops[i + 2])));
        i += 3;
      } else if (op === 'H') {
        const hash = this.#hash(String(ops[i + 1]));
        const field = String(ops[i + 2]);
        hash.set(field, String(Number(hash.get(field) ?? 0) + Number(ops[i + 3])));
        i += 4;
      } else if (op === 'M') {
        const hash = this.#hash(String(ops[i + 1]));
        const count = Number(ops[i + 2]);
        for (let j = i + 3; j < i + 3 + 2 * count; j += 2) {
          const field = String(ops[j]);
          hash.set(field, String(Number(hash.get(field) ?? 0) + Number(ops[j + 1])));
        }
        i += 3 + 2 * count;
      } else if (op === 'S') {
        this.#hash(String(ops[i + 1])).set(String(ops[i + 2]), String(ops[i + 3]));
        i += 4;
      } else if (op === 'K') {
        this.strings.set(String(ops[i + 1]), String(ops[i + 2]));
        i += 3;
      } else {
        const bits = this.#bits.get(String(ops[i + 1])) ?? new Set<number>();
        this.#bits.set(String(ops[i + 1]), bits);
        const count = Number(ops[i + 3]);
        for (let j = i + 4; j < i + 4 + count; j++) {
          const id = Number(ops[j]);
          if (bits.has(id)) {
            const dupes = this.sets.get(String(ops[i + 2])) ?? new Set<string>();
            dupes.add(String(id));
            this.sets.set(String(ops[i + 2]), dupes);
          }
          bits.add(id);
        }
        i += 4 + count;
      }
    }
  }

  #hash(key: string): Map<string, string> {
    const hash = this.hashes.get(key) ?? new Map<string, string>();
    this.hashes.set(key, hash);
    return hash;
  }
}
