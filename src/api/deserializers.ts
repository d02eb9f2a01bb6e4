// How a source turns a Kafka record's bytes into the job's first type. A deserializer that throws
// (bad JSON, a value its schema refuses, a tombstone where a value is needed) sends the record to
// the dead-letter topic with the reason; the partition goes on.

import type { z } from 'zod';
import type { SourceRecord } from './records.js';

export interface Deserializer<T> {
  /** Shown in the job's description (REST, dashboard). */
  readonly name: string;
  deserialize(record: SourceRecord): T;
}

/** A deserializer, or a plain function from the record to the value. */
export type DeserializerLike<T> = Deserializer<T> | ((record: SourceRecord) => T);

/** Thrown for a record without a value (a tombstone) where the deserializer needs one. */
export class EmptyRecordError extends Error {
  constructor(record: SourceRecord) {
    super(`record ${record.topic}-${record.partition}@${record.offset} has no value`);
    this.name = 'EmptyRecordError';
  }
}

function requireValue(record: SourceRecord): Buffer {
  if (record.value === null || record.value.length === 0) throw new EmptyRecordError(record);
  return record.value;
}

/**
 * JSON values; with a zod schema, each value is checked (and typed) by it. Without one the value
 * is typed `unknown`: give a schema, or a type argument if you trust the topic.
 */
export function json<T = unknown>(schema?: z.ZodType<T>): Deserializer<T> {
  return {
    name: schema ? 'json(schema)' : 'json',
    deserialize: schema
      ? (record) => schema.parse(JSON.parse(requireValue(record).toString('utf8')))
      : (record) => JSON.parse(requireValue(record).toString('utf8')) as T,
  };
}

/** UTF-8 text. */
export function string(): Deserializer<string> {
  return { name: 'string', deserialize: (record) => requireValue(record).toString('utf8') };
}

/** The raw bytes, as the client delivered them. */
export function bytes(): Deserializer<Buffer> {
  return { name: 'bytes', deserialize: (record) => requireValue(record) };
}

export function toDeserializer<T>(like: DeserializerLike<T>): Deserializer<T> {
  return typeof like === 'function' ? { name: like.name || 'function', deserialize: like } : like;
}
