// A stage compiled into one function per input topic: deserialize, run the operators (keyed steps
// with their state and timers), encode each result for its sink, and collect it. The runtime's
// tasks and the test driver both run this, so a job behaves the same in a unit test as on the
// cluster. A record whose processing throws (or that a step rejects) leaves nothing behind: its
// results and its state changes are rolled back, on every branch.

import type { SourceRecord } from '../api/records.js';
import type { EventTime, StreamNode } from '../api/stream-graph.js';
import type { JobPlan, StagePlan } from '../plan/job-plan.js';
import { type Encoder, encoderFor, type KafkaEncoded } from '../plan/sink-encoders.js';
import { partitionForKey } from './keyed/key-partitioner.js';
import { KeyedStep, type StepCall } from './keyed/keyed-step.js';
import { StageEnvironment, SWEEP_PER_TICK } from './keyed/stage-environment.js';
import type { Timer } from './keyed/timer-queue.js';
import { StageContext, StageProcessContext } from './stage-context.js';
import type { StateStore } from './state/state-store.js';

/** What one batch produced for each sink: encoded results and the source record of each. */
export class StageOutputs {
  /** Per sink index: encoded results, in the order they were emitted. */
  readonly values: unknown[][];
  /** Per sink index: the source record of each result (same positions as `values`). */
  readonly sources: SourceRecord[][];
  /** Per sink index: the results before encoding, kept only when asked (the test driver shows them). */
  readonly raw: unknown[][] | undefined;
  /** Records a keyed step marked late: they go to the dead-letter topic (reason `late`). */
  readonly late: SourceRecord[] = [];
  /** Late records a window sent to its `lateTo` sink instead (counted as late, not dead-lettered). */
  lateRouted = 0;
  #marks: number[];
  #lateMark = 0;
  #routedMark = 0;

  constructor(sinks: number, options: { keepRaw?: boolean } = {}) {
    this.values = Array.from({ length: sinks }, () => []);
    this.sources = Array.from({ length: sinks }, () => []);
    this.raw = options.keepRaw ? Array.from({ length: sinks }, () => []) : undefined;
    this.#marks = new Array<number>(sinks).fill(0);
  }

  /** Before a record: remember where each sink's list ends. */
  begin(): void {
    for (let i = 0; i < this.values.length; i++) this.#marks[i] = this.values[i]?.length ?? 0;
    this.#lateMark = this.late.length;
    this.#routedMark = this.lateRouted;
  }

  /** The record failed: forget what it emitted. */
  rollback(): void {
    for (let i = 0; i < this.values.length; i++) {
      const mark = this.#marks[i] ?? 0;
      (this.values[i] as unknown[]).length = mark;
      (this.sources[i] as SourceRecord[]).length = mark;
      if (this.raw) (this.raw[i] as unknown[]).length = mark;
    }
    this.late.length = this.#lateMark;
    this.lateRouted = this.#routedMark;
  }

  emit(sink: number, value: unknown, source: SourceRecord, raw: unknown): void {
    this.values[sink]?.push(value);
    this.sources[sink]?.push(source);
    this.raw?.[sink]?.push(raw);
  }

  get total(): number {
    return this.values.reduce((n, v) => n + v.length, 0);
  }
}

/** Thrown when a `process` step called `context.deadLetter(reason)`. */
export class RecordRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RecordRejected';
  }
}

/** Header names of a watermark marker in a repartition topic. */
export const MARKER_WATERMARK = 'sluice-wm';
export const MARKER_FROM = 'sluice-from';
/** On a marker of a quiet upstream task: its watermark follows the wall clock, W = now − this lag (ms). */
export const MARKER_IDLE = 'sluice-idle';

export interface CompileOptions {
  /** Partition counts of the topics the stage reads and writes (repartition topics; upstream inputs). */
  readonly partitions?: (topic: string) => number;
}

export interface CompiledStage {
  readonly topics: ReadonlySet<string>;
  readonly sinkCount: number;
  /** The stage's stateful steps: a task of it needs a state store, and each step a changelog. */
  readonly steps: readonly string[];
  /** True when a task keeps an event clock: stateful steps, or repartition topics to announce it to. */
  readonly timed: boolean;
  /** True for the first stage (it reads the job's sources; later stages read repartition topics). */
  readonly readsSources: boolean;
  /** A task's environment: its state, clock and timers (undefined when the stage keeps none). */
  open(store: StateStore, topic: string, partition: number, now: number): StageEnvironment | undefined;
  /** Runs one record; throws what the job's code throws, after undoing its state changes. */
  run(record: SourceRecord, out: StageOutputs, env?: StageEnvironment, now?: number): void;
  /** After a batch: saves the clock and announces a new watermark downstream (markers). */
  endBatch(out: StageOutputs, env: StageEnvironment, last: SourceRecord): void;
  /**
   * Time passing without records: processing-time timers, and an idle input's watermark. Results
   * are attributed to `at` (the task's last record). `caughtUp`: its partition was read to the end.
   */
  tick(out: StageOutputs, env: StageEnvironment, now: number, caughtUp: boolean, at: SourceRecord): void;
  /** End of input: the watermark goes to the end of time, so every window closes. */
  finish(out: StageOutputs, env: StageEnvironment, at: SourceRecord): void;
}

export function compileStage(plan: JobPlan, stage: StagePlan, options: CompileOptions = {}): CompiledStage {
  const context = new StageContext();
  const partitions = options.partitions ?? (() => 1);
  const encoders: Encoder[] = plan.sinks.map((s) => encoderFor(s.sink));
  const sinkIndex = new Map(plan.sinks.map((s, i) => [s.id, i]));
  const steps = stage.steps.map((s, i) => new KeyedStep(i, s.processor));
  const stepNext: ((value: unknown) => void)[] = [];
  const stepIndex = new Map(stage.steps.map((s, i) => [s.node.id, i]));
  const repartitionOf = new Map(stage.repartitions.map((r) => [r.keyBy.id, r]));
  let out: StageOutputs = new StageOutputs(0);
  let env: StageEnvironment | undefined;

  // A record late for several windowed steps (branches of one keyed stream) is one dead letter.
  const lateRecord = () => {
    if (out.late.at(-1) === context.record) return;
    out.late.push(context.record);
    if (env) env.late++;
  };
  const reject = (reason: string) => {
    context.rejected ??= reason;
  };

  // Each node becomes a function that takes a value of its input and pushes to its children.
  const compile = (node: StreamNode): ((value: unknown) => void) => {
    if (node.kind === 'sink') {
      const index = sinkIndex.get(node.id) ?? -1;
      const encode = encoders[index] as Encoder;
      return (value) => out.emit(index, encode(value, context.record), context.record, value);
    }
    if (node.kind === 'operator' && node.operator.kind === 'keyBy' && node.operator.repartition) {
      const repartition = repartitionOf.get(node.id);
      if (!repartition) throw new Error(`keyBy #${node.id} has no repartition topic in stage ${stage.id}`);
      const keyOf = node.operator.fn;
      const count = partitions(repartition.topic);
      return (value) => {
        const key = String(keyOf(value, context));
        const text = JSON.stringify(value);
        if (text === undefined)
          throw new TypeError(`a value crossing keyBy has no JSON form: ${String(value)}`);
        const encoded: KafkaEncoded = {
          // librdkafka would cut a string key at its first NUL: such a key goes as bytes.
          key: key.includes('\u0000') ? Buffer.from(key, 'utf8') : key,
          value: Buffer.from(text),
          headers: undefined,
          partition: partitionForKey(key, count),
          timestamp: context.eventTime,
        };
        out.emit(repartition.sink, encoded, context.record, value);
      };
    }
    // A window's `lateTo` sink takes its late records, not its results.
    const lateSinks = node.children.filter((c) => c.kind === 'sink' && c.late === true);
    const children = node.children.filter((c) => !lateSinks.includes(c)).map(compile);
    const next: (value: unknown) => void =
      children.length === 1
        ? (children[0] as (value: unknown) => void)
        : (value) => {
            for (const child of children) child(value);
          };
    if (node.kind === 'source') return next;
    const op = node.operator;
    switch (op.kind) {
      case 'map':
        return (value) => next(op.fn(value, context));
      case 'filter':
        return (value) => {
          if (op.fn(value, context)) next(value);
        };
      case 'flatMap':
        return (value) => {
          for (const item of op.fn(value, context)) next(item);
        };
      case 'process': {
        const processContext = new StageProcessContext(context, next);
        return (value) => op.fn(value, processContext);
      }
      case 'keyBy': {
        const keyOf = op.fn;
        return (value) => {
          context.currentKey = String(keyOf(value, context));
          next(value);
        };
      }
      case 'keyed': {
        const index = stepIndex.get(node.id) ?? -1;
        const step = steps[index] as KeyedStep;
        stepNext[index] = next;
        const lateTo = lateSinks.map(compile);
        let current: unknown;
        const call = newCall(
          next,
          lateTo.length === 0
            ? lateRecord
            : () => {
                if (env) env.late++;
                out.lateRouted++;
                for (const sink of lateTo) sink(current);
              },
        );
        return (value) => {
          current = value;
          call.env = env as StageEnvironment;
          call.key = context.currentKey;
          call.timestamp = context.eventTime;
          call.now = context.now;
          call.record = context;
          step.onRecord(value, call);
        };
      }
    }
  };

  const newCall = (emit: (value: unknown) => void, late: () => void = lateRecord): StepCall => ({
    env: undefined as unknown as StageEnvironment,
    key: '',
    timestamp: 0,
    now: 0,
    record: context,
    emit,
    late,
    reject,
  });
  const timerCall = newCall(() => {});

  /** Fires every event-time timer the watermark has reached, in (time, step, key) order. */
  const fireEventTimers = (e: StageEnvironment) => {
    for (let t = e.timers.nextEventDue(e.watermark); t; t = e.timers.nextEventDue(e.watermark)) fire(e, t);
  };
  const fire = (e: StageEnvironment, timer: Timer) => {
    e.firedTimer(timer);
    const step = steps[timer.step] as KeyedStep;
    timerCall.env = e;
    timerCall.key = timer.key;
    timerCall.timestamp = timer.time;
    timerCall.now = context.now;
    timerCall.emit = stepNext[timer.step] as (value: unknown) => void;
    context.as({ ...context.record, key: timer.key, timestamp: timer.time }, () =>
      step.onTimer(timer, timerCall),
    );
  };

  const byTopic = new Map<string, { push: (record: SourceRecord) => void; time: EventTime | undefined }>();
  for (const source of stage.sources) {
    const push = compile(source);
    const { deserialize } = source.deserializer;
    const extract = source.time.timestamp;
    const entry = extract
      ? (record: SourceRecord) => {
          const value = deserialize(record);
          context.eventTime = extract(value, context);
          push(value);
        }
      : (record: SourceRecord) => push(deserialize(record));
    for (const topic of source.topics) byTopic.set(topic, { push: entry, time: source.time });
  }
  const input = stage.input;
  let upstream = 0;
  if (input) {
    const after = input.keyBy.children.map(compile);
    const upstreamStage = plan.stages[input.fromStage];
    upstream = (upstreamStage?.topics ?? []).reduce((n, topic) => n + partitions(topic), 0);
    byTopic.set(input.topic, {
      time: undefined,
      push: (record) => {
        const marker = header(record, MARKER_WATERMARK);
        if (marker !== undefined) {
          const from = Number(header(record, MARKER_FROM));
          const idle = header(record, MARKER_IDLE);
          if (env) {
            env.clock.onMarker(
              from,
              Number(marker),
              context.now,
              idle === undefined ? undefined : Number(idle),
            );
            fireEventTimers(env);
          }
          return;
        }
        if (record.value === null) throw new TypeError('a repartitioned record has no value');
        const value: unknown = JSON.parse(record.value.toString('utf8'));
        context.currentKey =
          typeof record.key === 'string' ? record.key : (record.key?.toString('utf8') ?? '');
        for (const child of after) child(value);
      },
    });
  }
  const timed = steps.length > 0 || stage.repartitions.length > 0;
  // A task's index among its stage's tasks: how it signs the markers it sends downstream.
  const taskIndex = (topic: string, partition: number) => {
    let index = 0;
    for (const t of stage.topics) {
      if (t === topic) return index + partition;
      index += partitions(t);
    }
    return -1;
  };
  // A marker when the watermark moved on records; while it follows the wall clock (quiet input),
  // one idle marker with the lag, and one more when records come again.
  const announce = (e: StageEnvironment, at: SourceRecord) => {
    if (stage.repartitions.length === 0) return;
    const lag = e.clock.idleLag;
    if (
      lag === undefined ? e.watermark <= e.announced && e.announcedLag === undefined : lag === e.announcedLag
    )
      return;
    e.announced = e.watermark;
    e.announcedLag = lag;
    const from = String(taskIndex(at.topic, at.partition));
    const headers: Record<string, string>[] = [
      { [MARKER_WATERMARK]: String(e.watermark) },
      { [MARKER_FROM]: from },
    ];
    if (lag !== undefined) headers.push({ [MARKER_IDLE]: String(lag) });
    for (const r of stage.repartitions) {
      const count = partitions(r.topic);
      for (let partition = 0; partition < count; partition++) {
        const marker: KafkaEncoded = {
          key: null,
          value: Buffer.alloc(0),
          headers,
          partition,
          timestamp: Math.max(0, Math.min(e.watermark, Date.now())),
        };
        out.emit(r.sink, marker, at, undefined);
      }
    }
  };

  return {
    topics: new Set(byTopic.keys()),
    sinkCount: plan.sinks.length,
    steps: steps.map((s) => s.name),
    timed,
    readsSources: stage.sources.length > 0,
    open(store, topic, _partition, now) {
      if (!timed) return undefined;
      const time = byTopic.get(topic)?.time;
      return new StageEnvironment(
        store,
        stage.steps.map((s) => ({
          name: s.processor.name,
          derived: s.processor.eventTimersFrom,
          expiring: Object.entries(s.processor.state ?? {}).flatMap(([state, d]) =>
            d.ttlMs === undefined ? [] : [{ state, map: d.kind === 'map' }],
          ),
        })),
        {
          outOfOrdernessMs: time?.outOfOrdernessMs ?? 0,
          idleAfterMs: time?.idleAfterMs ?? 0,
          upstream: time ? 0 : upstream,
        },
        now,
      );
    },
    run(record, outputs, environment, now = Date.now()) {
      const entry = byTopic.get(record.topic);
      if (!entry) throw new Error(`the job reads no topic '${record.topic}'`);
      out = outputs;
      env = environment;
      context.set(record);
      context.now = now;
      env?.begin();
      try {
        entry.push(record);
        if (context.rejected !== undefined) throw new RecordRejected(context.rejected);
        if (env && entry.time) {
          env.clock.onRecord(context.eventTime, now);
          fireEventTimers(env);
          if (context.rejected !== undefined) throw new RecordRejected(context.rejected);
        }
      } catch (error) {
        env?.rollback();
        throw error;
      }
    },
    endBatch(outputs, environment, last) {
      out = outputs;
      env = environment;
      context.set(last);
      announce(environment, last);
      environment.sweepExpired();
      environment.saveClock();
    },
    tick(outputs, environment, now, caughtUp, at) {
      out = outputs;
      env = environment;
      context.set(at);
      context.now = now;
      for (
        let t = environment.timers.nextProcessingDue(now);
        t;
        t = environment.timers.nextProcessingDue(now)
      )
        fire(environment, t);
      environment.clock.onIdle(now, caughtUp);
      fireEventTimers(environment);
      announce(environment, at);
      environment.sweepExpired(SWEEP_PER_TICK);
      environment.saveClock();
    },
    finish(outputs, environment, at) {
      out = outputs;
      env = environment;
      context.set(at);
      environment.clock.finish();
      fireEventTimers(environment);
      announce(environment, at);
      environment.saveClock();
    },
  };
}

function header(record: SourceRecord, name: string): string | undefined {
  for (const h of record.headers ?? []) {
    const value = h[name];
    if (value !== undefined) return typeof value === 'string' ? value : value.toString('utf8');
  }
  return undefined;
}
