// Runs a job in-process, without Kafka or Redis (Kafka Streams' TopologyTestDriver is the model):
// feed records to its source topics, read what each sink received. The job goes through the same
// plan and compiled stage as on the cluster — deserializers, operators, sink encoders, dead letters
// — so a unit test sees what a TaskManager would write. Each `send` is one batch.

import type { JobDefinition } from '../api/job-definition.js';
import { classifyRecordError, type RecordErrorCode } from '../api/record-error.js';
import type { SourceRecord } from '../api/records.js';
import type { KafkaOutputRecord, Sink } from '../api/sinks.js';
import { MemoryRedis, redisOps } from '../connectors/redis/redis-ops.js';
import { type CompiledStage, compileStage, StageOutputs } from '../plan/compile-stage.js';
import { buildPlan, type JobPlan } from '../plan/job-plan.js';
import type { KafkaEncoded } from '../plan/sink-encoders.js';

/** A record to feed a job: its value (an object is sent as JSON), and optionally its key, timestamp, ... */
export interface TestRecord {
  readonly value: unknown;
  readonly key?: string | Buffer | null;
  /** Epoch ms; default: the driver's clock (starts at 0, +1 per record). */
  readonly timestamp?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly partition?: number;
}

/** A record a Kafka sink wrote to an output topic. */
export interface OutputRecord {
  readonly key: string | null;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The value parsed as JSON. */
  json<T = unknown>(): T;
}

export interface DeadLetterRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly code: RecordErrorCode;
  readonly message: string;
}

export interface TestDriverOptions {
  /** The job's parameters as values (read through its schema, defaults applied). */
  readonly params?: Readonly<Record<string, unknown>>;
}

export class JobTestDriver {
  readonly plan: JobPlan;
  readonly #stage: CompiledStage;
  readonly #received: unknown[][];
  readonly #outputs = new Map<string, OutputRecord[]>();
  readonly #deadLetters: DeadLetterRecord[] = [];
  readonly #offsets = new Map<string, number>();
  readonly #redis = new MemoryRedis();
  #clock = 0;

  constructor(job: JobDefinition, options: TestDriverOptions = {}) {
    const parameters = job.parameters
      ? (job.parameters.parse(options.params ?? {}) as Record<string, unknown>)
      : {};
    this.plan = buildPlan(job, parameters);
    const stage = this.plan.stages[0];
    if (!stage) throw new Error(`job '${job.name}' has no stage`);
    this.#stage = compileStage(this.plan, stage);
    this.#received = this.plan.sinks.map(() => []);
  }

  /** Feeds values to a source topic, as one batch: an object is sent as JSON, a string or Buffer as it is. */
  send(topic: string, ...values: readonly unknown[]): this {
    return this.sendRecords(
      topic,
      values.map((value) => ({ value })),
    );
  }

  /** Feeds records with a key, timestamp, headers or partition of their own, as one batch. */
  sendRecords(topic: string, records: readonly TestRecord[]): this {
    if (!this.#stage.topics.has(topic)) {
      throw new Error(`the job reads no topic '${topic}'; it reads ${[...this.#stage.topics].join(', ')}`);
    }
    const out = new StageOutputs(this.#stage.sinkCount, { keepRaw: true });
    for (const input of records) {
      const record = this.#sourceRecord(topic, input);
      out.begin();
      try {
        this.#stage.run(record, out);
      } catch (error) {
        out.rollback();
        const failure = classifyRecordError(error, record.value);
        this.#deadLetters.push({
          topic,
          partition: record.partition,
          offset: record.offset,
          key: text(record.key),
          value: record.value === null ? null : record.value.toString('utf8'),
          code: failure.code,
          message: failure.message,
        });
      }
    }
    for (const [index, node] of this.plan.sinks.entries()) this.#deliver(node.sink, index, out);
    return this;
  }

  /** The results a sink received (as the job produced them), by the sink's name. */
  received<T = unknown>(sinkName: string): T[] {
    const index = this.plan.sinks.findIndex((s) => s.sink.name === sinkName);
    if (index < 0) {
      throw new Error(
        `the job has no sink '${sinkName}'; its sinks are ${this.plan.sinks.map((s) => s.sink.name).join(', ')}`,
      );
    }
    return [...(this.#received[index] as T[])];
  }

  /** The records Kafka sinks wrote to an output topic, in order. */
  output(topic: string): OutputRecord[] {
    return [...(this.#outputs.get(topic) ?? [])];
  }

  /** The records that went to the dead-letter topic, with the reason. */
  deadLetters(): DeadLetterRecord[] {
    return [...this.#deadLetters];
  }

  /** What the job's Redis sinks wrote: a string key (counters, SET), or undefined. */
  redisGet(key: string): string | undefined {
    return this.#redis.strings.get(key);
  }

  /** A hash the job's Redis sinks wrote (per-key counts, HINCRBY, HSET). */
  redisHash(key: string): Record<string, string> {
    return Object.fromEntries(this.#redis.hashes.get(key) ?? []);
  }

  #deliver(sink: Sink<unknown>, index: number, out: StageOutputs): void {
    const values = out.values[index] ?? [];
    this.#received[index]?.push(...(out.raw?.[index] ?? []));
    if (sink.kind === 'kafka') {
      const records: readonly (KafkaEncoded | KafkaOutputRecord)[] = sink.combine
        ? sink.combine(values)
        : (values as KafkaEncoded[]);
      const list = this.#outputs.get(sink.topic) ?? [];
      this.#outputs.set(sink.topic, list);
      for (const r of records) list.push(outputRecord(r));
    } else if (sink.kind === 'redis-counter' || sink.kind === 'redis-write') {
      if (values.length > 0) this.#redis.apply(redisOps(sink, values));
    }
  }

  #sourceRecord(topic: string, input: TestRecord): SourceRecord {
    const partition = input.partition ?? 0;
    const at = `${topic}-${partition}`;
    const offset = this.#offsets.get(at) ?? 0;
    this.#offsets.set(at, offset + 1);
    const value =
      input.value === null || input.value === undefined
        ? null
        : Buffer.isBuffer(input.value)
          ? input.value
          : Buffer.from(typeof input.value === 'string' ? input.value : JSON.stringify(input.value));
    return {
      topic,
      partition,
      offset,
      key: input.key ?? null,
      value,
      timestamp: input.timestamp ?? this.#clock++,
      headers: input.headers ? Object.entries(input.headers).map(([k, v]) => ({ [k]: Buffer.from(v) })) : [],
    };
  }
}

function text(value: string | Buffer | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.toString('utf8');
}

function outputRecord(record: KafkaEncoded | KafkaOutputRecord): OutputRecord {
  const value = typeof record.value === 'string' ? record.value : record.value.toString('utf8');
  const headers: Record<string, string> = {};
  const given = record.headers;
  if (Array.isArray(given)) {
    for (const h of given as Record<string, string | Buffer>[])
      for (const [k, v] of Object.entries(h)) headers[k] = typeof v === 'string' ? v : v.toString('utf8');
  } else if (given) {
    for (const [k, v] of Object.entries(given as Record<string, string | Buffer>))
      headers[k] = typeof v === 'string' ? v : v.toString('utf8');
  }
  return { key: text(record.key), value, headers, json: <T>() => JSON.parse(value) as T };
}

/** A test driver for the job: `testJob(job).send('lines', {...}).output('words')`. */
export function testJob(job: JobDefinition, options: TestDriverOptions = {}): JobTestDriver {
  return new JobTestDriver(job, options);
}
