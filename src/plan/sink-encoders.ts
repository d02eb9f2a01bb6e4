// What each sink needs from a result, computed while the record is processed: an output record's
// key and bytes, a counter's id and key, a Redis write's key, field and value. A result a sink
// cannot encode (the job's serializer threw, a key that is not text) fails its source record,
// which then goes to the dead-letter topic with the reason — before anything of it is written.

import type { SourceRecord } from '../api/records.js';
import type { KafkaSink, RedisCounterSink, RedisWriteSink, Sink } from '../api/sinks.js';

export type Encoder = (value: unknown, source: SourceRecord) => unknown;

/** A result as the Kafka sink writes it. */
export interface KafkaEncoded {
  readonly key: string | Buffer | null;
  readonly value: Buffer;
  readonly headers: readonly Record<string, string | Buffer>[] | undefined;
  /** Set for a repartition topic: the key's partition (Kafka's default partitioner). */
  readonly partition?: number;
  /** Set for a repartition topic (the record's event time) or by a combine function; else produce time. */
  readonly timestamp?: number;
}

/** A result as the Redis counter counts it. */
export interface CounterEncoded {
  readonly id: number | undefined;
  readonly key: string | undefined;
}

/** A result as a Redis write applies it. */
export interface WriteEncoded {
  readonly key: string;
  readonly field: string | undefined;
  /** HINCRBY / INCRBY: the increment; HSET / SET: the value. */
  readonly value: string | number;
}

export function encoderFor(sink: Sink<unknown>): Encoder {
  switch (sink.kind) {
    case 'kafka':
      return sink.combine ? (value) => value : kafkaEncoder(sink);
    case 'redis-counter':
      return counterEncoder(sink);
    case 'redis-write':
      return writeEncoder(sink);
    case 'user':
      return (value) => value;
  }
}

function kafkaEncoder(sink: KafkaSink<unknown>): Encoder {
  const { key, value, headers } = sink;
  return (result, source): KafkaEncoded => {
    const bytes = value ? value(result) : defaultValue(result);
    return {
      key: key ? key(result) : sourceKey(source),
      value: typeof bytes === 'string' ? Buffer.from(bytes) : asBuffer(bytes, sink.name),
      headers: headers ? Object.entries(headers(result)).map(([k, v]) => ({ [k]: v })) : undefined,
    };
  };
}

function defaultValue(result: unknown): string | Buffer {
  if (typeof result === 'string' || Buffer.isBuffer(result)) return result;
  const text = JSON.stringify(result);
  if (text === undefined) throw new TypeError(`the result ${String(result)} has no JSON form`);
  return text;
}

function asBuffer(value: unknown, sink: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  throw new TypeError(`sink '${sink}': value() returned ${typeof value}, not a string or Buffer`);
}

export function sourceKey(source: SourceRecord): string | Buffer | null {
  return source.key ?? null;
}

function counterEncoder(sink: RedisCounterSink<unknown>): Encoder {
  const { idOf, countBy } = sink;
  if (!idOf && !countBy) return () => EMPTY_COUNT;
  return (result): CounterEncoded => {
    const id = idOf ? idOf(result) : undefined;
    if (id !== undefined && !(Number.isSafeInteger(id) && id >= 0))
      throw new TypeError(`sink '${sink.name}': idOf returned ${String(id)}, not a whole number >= 0`);
    const key = countBy ? text(countBy(result), sink.name, 'countBy') : undefined;
    return { id, key };
  };
}

const EMPTY_COUNT: CounterEncoded = { id: undefined, key: undefined };

function writeEncoder(sink: RedisWriteSink<unknown>): Encoder {
  return (result): WriteEncoded => {
    const key = text(sink.key(result), sink.name, 'key');
    switch (sink.command) {
      case 'HINCRBY':
        return {
          key,
          field: text(sink.field(result), sink.name, 'field'),
          value: increment(sink.by, result, sink.name),
        };
      case 'INCRBY':
        return { key, field: undefined, value: increment(sink.by, result, sink.name) };
      case 'HSET':
        return {
          key,
          field: text(sink.field(result), sink.name, 'field'),
          value: scalar(sink.value(result), sink.name),
        };
      case 'SET':
        return { key, field: undefined, value: scalar(sink.value(result), sink.name) };
    }
  };
}

function text(value: unknown, sink: string, what: string): string {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new TypeError(`sink '${sink}': ${what} returned ${JSON.stringify(value)}, not a non-empty string`);
}

function increment(by: ((r: unknown) => number) | undefined, result: unknown, sink: string): number {
  const n = by ? by(result) : 1;
  if (!Number.isSafeInteger(n))
    throw new TypeError(`sink '${sink}': by returned ${String(n)}, not a whole number`);
  return n;
}

function scalar(value: unknown, sink: string): string | number {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw new TypeError(`sink '${sink}': value returned ${JSON.stringify(value)}, not a string or number`);
}
