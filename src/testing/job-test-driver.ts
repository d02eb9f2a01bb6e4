// Runs a job in-process, without Kafka or Redis (Kafka Streams' TopologyTestDriver is the model):
// feed records to its source topics, read what each sink received. The job goes through the same
// plan and compiled stages as on the cluster — deserializers, operators, keyed state, timers and
// watermarks, repartitioning, sink encoders, dead letters — so a unit test sees what a TaskManager
// would write. Each `send` is one batch per partition; what it repartitions is handed to the next
// stage at once. Processing time is the driver's clock: `advanceTime` moves it (timers, idle input).

import type { JobDefinition } from '../api/job-definition.js';
import { classifyRecordError, type RecordErrorCode } from '../api/record-error.js';
import type { SourceRecord } from '../api/records.js';
import type { KafkaOutputRecord, Sink } from '../api/sinks.js';
import { MemoryRedis, redisOps } from '../connectors/redis/redis-ops.js';
import { buildPlan, type JobPlan } from '../plan/job-plan.js';
import type { KafkaEncoded } from '../plan/sink-encoders.js';
import { type CompiledStage, compileStage, StageOutputs } from '../runtime/compile-stage.js';
import type { StageEnvironment } from '../runtime/keyed/stage-environment.js';
import { stateKey } from '../runtime/state/state-keys.js';
import { MemoryStateStore } from '../runtime/state/state-store.js';

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
  /** The timestamp the sink gives the record; undefined: the broker's clock when it is produced. */
  readonly timestamp: number | undefined;
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
  /** Partitions of every source and repartition topic (default 1): each is a task, as on the cluster. */
  readonly partitions?: number;
  /** The processing-time clock's start (epoch ms, default 0). */
  readonly startTime?: number;
}

/** One task of the job, in memory: a partition of a stage's input topic. */
interface DriverTask {
  readonly stage: CompiledStage;
  readonly topic: string;
  readonly partition: number;
  readonly store: MemoryStateStore;
  readonly env: StageEnvironment | undefined;
  last: SourceRecord | undefined;
}

export class JobTestDriver {
  readonly plan: JobPlan;
  readonly #stages: CompiledStage[];
  readonly #tasks = new Map<string, DriverTask>();
  readonly #partitions: number;
  readonly #received: unknown[][];
  readonly #outputs = new Map<string, OutputRecord[]>();
  readonly #deadLetters: DeadLetterRecord[] = [];
  readonly #offsets = new Map<string, number>();
  readonly #redis = new MemoryRedis();
  #clock = 0;
  #now: number;

  constructor(job: JobDefinition, options: TestDriverOptions = {}) {
    const parameters = job.parameters
      ? (job.parameters.parse(options.params ?? {}) as Record<string, unknown>)
      : {};
    this.plan = buildPlan(job, parameters);
    this.#partitions = options.partitions ?? 1;
    this.#now = options.startTime ?? 0;
    this.#stages = this.plan.stages.map((stage) =>
      compileStage(this.plan, stage, { partitions: () => this.#partitions }),
    );
    this.#received = this.plan.sinks.map(() => []);
    // Every task exists from the start, as on the cluster: an empty partition still has a clock.
    this.plan.stages.forEach((plan, i) => {
      for (const topic of plan.topics)
        for (let p = 0; p < this.#partitions; p++) this.#task(this.#stages[i] as CompiledStage, topic, p);
    });
  }

  /** The driver's processing time (epoch ms). */
  get now(): number {
    return this.#now;
  }

  /**
   * Moves processing time forward: processing-time timers that are due fire, and an input quiet for
   * longer than its source's `idleAfterMs` lets event time follow (windows close without new records).
   */
  advanceTime(ms: number): this {
    if (!(ms >= 0)) throw new Error(`advanceTime needs a duration ≥ 0 ms, got ${ms}`);
    this.#now += ms;
    for (const stage of this.#stages.keys()) {
      for (const task of [...this.#tasks.values()].filter((t) => t.stage === this.#stages[stage])) {
        if (!task.env) continue;
        const out = this.#batchOutputs();
        task.stage.tick(out, task.env, this.#now, true, task.last ?? this.#placeholder(task));
        this.#deliverAll(out);
      }
    }
    return this;
  }

  /** The end of the input (as `--stop-when-idle` does on the cluster): every window closes. */
  finish(): this {
    for (const stage of this.#stages) {
      for (const task of [...this.#tasks.values()].filter((t) => t.stage === stage)) {
        if (!task.env) continue;
        const out = this.#batchOutputs();
        task.stage.finish(out, task.env, task.last ?? this.#placeholder(task));
        this.#deliverAll(out);
      }
    }
    return this;
  }

  /** A keyed step's state for a key (as its code would read it), across the tasks. */
  state<T = unknown>(step: string, name: string, key: string): T | undefined {
    for (const task of this.#tasks.values()) {
      const value = task.store.get(stateKey(step, name, key));
      if (value !== undefined) return value as T;
    }
    return undefined;
  }

  /** The watermark of a source partition's task (event time; -2^53 before any record). */
  watermark(topic: string, partition = 0): number | undefined {
    return this.#tasks.get(`${topic}-${partition}`)?.env?.watermark;
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
    const first = this.#stages[0];
    if (!first?.topics.has(topic)) {
      throw new Error(`the job reads no topic '${topic}'; it reads ${[...(first?.topics ?? [])].join(', ')}`);
    }
    const byPartition = new Map<number, SourceRecord[]>();
    for (const input of records) {
      const partition = input.partition ?? 0;
      if (partition < 0 || partition >= this.#partitions)
        throw new Error(
          `partition ${partition} of '${topic}' does not exist: the driver has ${this.#partitions} (option partitions)`,
        );
      const list = byPartition.get(partition) ?? [];
      byPartition.set(partition, list);
      list.push(this.#sourceRecord(topic, input));
    }
    for (const [partition, list] of byPartition) this.#runBatch(first, topic, partition, list);
    return this;
  }

  #task(stage: CompiledStage, topic: string, partition: number): DriverTask {
    const id = `${topic}-${partition}`;
    let task = this.#tasks.get(id);
    if (!task) {
      const store = new MemoryStateStore();
      task = {
        stage,
        topic,
        partition,
        store,
        env: stage.open(store, topic, partition, this.#now),
        last: undefined,
      };
      this.#tasks.set(id, task);
    }
    return task;
  }

  #runBatch(stage: CompiledStage, topic: string, partition: number, records: readonly SourceRecord[]): void {
    const task = this.#task(stage, topic, partition);
    const out = this.#batchOutputs();
    for (const record of records) {
      out.begin();
      try {
        stage.run(record, out, task.env, this.#now);
      } catch (error) {
        out.rollback();
        this.#deadLetter(record, error);
      }
    }
    const last = records.at(-1);
    if (last) {
      task.last = last;
      if (task.env) stage.endBatch(out, task.env, last);
    }
    this.#deliverAll(out);
  }

  #batchOutputs(): StageOutputs {
    return new StageOutputs(this.plan.sinks.length, { keepRaw: true });
  }

  /** What a batch (or a tick) produced: to the sinks, late records to the dead letters, repartitioned records onwards. */
  #deliverAll(out: StageOutputs): void {
    for (const record of out.late)
      this.#deadLetter(record, Object.assign(new Error('late'), { name: 'RecordLate' }));
    const downstream: [number, KafkaEncoded[]][] = [];
    for (const [index, node] of this.plan.sinks.entries()) {
      const repartition = this.plan.repartitions.find((r) => r.sink === index);
      if (repartition) downstream.push([repartition.toStage, (out.values[index] ?? []) as KafkaEncoded[]]);
      else this.#deliver(node.sink, index, out);
    }
    for (const [stageId, encoded] of downstream) {
      const stage = this.#stages[stageId];
      const plan = this.plan.stages[stageId];
      const topic = plan?.input?.topic;
      if (!stage || !topic || encoded.length === 0) continue;
      const byPartition = new Map<number, SourceRecord[]>();
      for (const e of encoded) {
        const partition = e.partition ?? 0;
        const list = byPartition.get(partition) ?? [];
        byPartition.set(partition, list);
        const at = `${topic}-${partition}`;
        const offset = this.#offsets.get(at) ?? 0;
        this.#offsets.set(at, offset + 1);
        list.push({
          topic,
          partition,
          offset,
          key: e.key,
          value: e.value,
          timestamp: e.timestamp,
          headers: (e.headers ?? []) as SourceRecord['headers'],
        });
      }
      for (const [partition, list] of byPartition) this.#runBatch(stage, topic, partition, list);
    }
  }

  #deadLetter(record: SourceRecord, error: unknown): void {
    const failure = classifyRecordError(error, record.value);
    this.#deadLetters.push({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: text(record.key),
      value: record.value === null ? null : record.value.toString('utf8'),
      code: failure.code,
      message: failure.message,
    });
  }

  /** Time passes for a task that has not seen a record yet: results are attributed to offset -1. */
  #placeholder(task: DriverTask): SourceRecord {
    return {
      topic: task.topic,
      partition: task.partition,
      offset: -1,
      key: null,
      value: null,
      timestamp: undefined,
    };
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
  return {
    key: text(record.key),
    value,
    headers,
    timestamp: record.timestamp,
    json: <T>() => JSON.parse(value) as T,
  };
}

/** A test driver for the job: `testJob(job).send('lines', {...}).output('words')`. */
export function testJob(job: JobDefinition, options: TestDriverOptions = {}): JobTestDriver {
  return new JobTestDriver(job, options);
}
