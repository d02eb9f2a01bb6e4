// `sluice reliability --job windowed`: the reliability test on a stateful job. The windowed count of
// the benchmarks (keyed state in LMDB and a compacted changelog, tumbling windows of event time,
// one result per window into a Kafka topic in transactions) runs on its own input written at the
// run's rate while the fault schedule is carried out. The verdict is independent of Sluice: the
// windows are computed offline from the ids written, and a read_committed reader of the output
// must see each window once, with exactly its count, and every window that had to close.

import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchInput, benchRecord, keyOf } from '../bench/bench-input.js';
import type { BenchEnvironment } from '../bench/peers/peer.js';
import { startSluice } from '../bench/peers/sluice-peer.js';
import { checkWindows, expectedWindows } from '../bench/windowed-bench.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { PLAINTEXT } from '../connectors/kafka/client-config.js';
import { KafkaProducer } from '../connectors/kafka/producer.js';
import type { Check } from '../reports/run-report.js';
import { type FaultEnvironment, type FaultRecord, injectFaults } from './fault-injector.js';
import type { PlannedFault } from './fault-schedule.js';
import type { InstrumentedRun } from './instrumented-run.js';
import { RunRecorder } from './run-recorder.js';
import type { JobResult } from './seed-run.js';

export interface WindowedRunOptions {
  config: SluiceConfig;
  env: BenchEnvironment;
  plan: readonly PlannedFault[];
  faultEnvironment: FaultEnvironment;
  /** Distinct keys of the input (each always on the same partition). */
  keys: number;
  /** Tumbling window size in event time (the record's id, in ms). */
  windowMs: number;
  status?: (text: string) => void;
}

export interface WindowedRun extends InstrumentedRun {
  /** The verdict on the windows: exact, each once, all that had to close. */
  windowChecks: Check[];
}

export async function windowedRun(o: WindowedRunOptions): Promise<WindowedRun> {
  const { config, env } = o;
  const records = config.job.numMessages;
  const partitions = config.job.partitions;
  const topic = `sluice-reliability-windowed-${Date.now().toString(36)}`;
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: env.bootstrapServers,
    clientId: 'sluice-reliability-windowed',
  });
  await admin.ensureTopic(topic, partitions);
  const input: BenchInput = { topic, partitions, records, keys: o.keys, perKey: () => 0 };
  o.status?.('starting the windowed job');
  const sluice = await startSluice(env, input, {
    sink: 'kafka',
    windowMs: o.windowMs,
    restart: config.runtime.restartTaskManagers,
    taskManagers: config.runtime.taskManagers,
    checkpointIntervalMs: config.runtime.checkpointIntervalMs,
  });
  const reader = sluice.reader;
  if (!reader) throw new Error('the windowed job has no output reader');
  const groupStartedAt = Date.now();
  const recorder = new RunRecorder(sluice.cluster.registry, () => reader.total);
  recorder.start();
  const failures: string[] = [];
  let faults: FaultRecord[] = [];
  let produceMs: number | undefined;
  const inputStartedAt = Date.now();
  try {
    const writing = writeInput(env.bootstrapServers, input, config.runtime.produceRate, (n) =>
      o.status?.(`input ${n.toLocaleString('en-US')} of ${records.toLocaleString('en-US')} records`),
    ).then(() => {
      produceMs = Date.now() - inputStartedAt;
    });
    const context = {
      get cluster() {
        return sluice.cluster;
      },
      elapsed: () => Date.now() - inputStartedAt,
      inputStartedAt: () => inputStartedAt,
      groupStartedAt,
      count: () => reader.total,
      // Every planned fault is carried out, input written or not: the windows' check needs them all.
      done: () => false,
    };
    const [, injected] = await Promise.allSettled([
      writing,
      injectFaults(context, o.plan, o.faultEnvironment),
    ]);
    await writing.catch((error: unknown) => failures.push(`writing the input failed: ${String(error)}`));
    if (injected.status === 'fulfilled') faults = injected.value;
    else failures.push(`the fault schedule failed: ${String(injected.reason)}`);
    // Every window that had to close: its result, read_committed, or a stall that says where it stopped.
    const expected = expectedWindows(input, o.windowMs);
    await waitForWindows(reader.counts, expected.closed, env.stallMs, o.status).catch((error: unknown) =>
      failures.push(String(error)),
    );
    const check = checkWindows(reader.counts, expected);
    const twice = [...reader.emissions].filter(([, n]) => n > 1);
    const windowChecks: Check[] = [
      { name: 'every window exact (an offline count of the input)', ok: check.exact, detail: check.detail },
      {
        name: 'each window emitted once (read_committed)',
        ok: twice.length === 0,
        detail:
          twice.length === 0
            ? `${reader.emissions.size} windows, none twice`
            : `${twice.length} twice or more: ${twice
                .slice(0, 10)
                .map(([w, n]) => `${w} ×${n}`)
                .join(', ')}`,
      },
    ];
    await recorder.stop();
    const registry = sluice.cluster.registry;
    const result: JobResult = {
      runId: sluice.job.runId,
      mode: 'kafka',
      expected: records,
      counter: reader.total,
      verified: windowChecks.every((c) => c.ok) && failures.length === 0,
      failures,
      taskManagers: config.runtime.taskManagers,
      ...(produceMs === undefined ? {} : { produceMs }),
      snapshot: registry.list(),
      rebalancesDuringRun: registry.timeline(groupStartedAt),
      restarts: [...sluice.cluster.restarts],
      startPositions: Array.from({ length: partitions }, () => 0),
      sink: `kafka:${topic}-windows`,
      deadLettered: registry.list().reduce((n, t) => n + t.deadLettered, 0),
      deadLetterTopic: `${topic}.dlq`,
      logDir: env.workDir,
      ...(sluice.cluster.jobManager.checkpoints
        ? { checkpoints: sluice.cluster.jobManager.checkpoints.stats }
        : {}),
    };
    return {
      result,
      samples: recorder.samples,
      faults,
      timeline: registry.timeline(groupStartedAt),
      resumed: registry.resumed(groupStartedAt),
      taskManagers: registry.list(),
      startedAt: groupStartedAt,
      inputStartedAt,
      endedAt: Date.now(),
      windowChecks,
    };
  } finally {
    await recorder.stop().catch(() => {});
    await sluice.stop();
    await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  }
}

/** The input at the run's rate: id n is keyed k-(n mod keys), on partition (n mod keys) mod partitions. */
async function writeInput(
  bootstrapServers: string,
  input: BenchInput,
  rate: number,
  progress: (written: number) => void,
): Promise<void> {
  const producer = await KafkaProducer.connect({
    security: PLAINTEXT,
    bootstrapServers,
    clientId: 'sluice-reliability-windowed-input',
  });
  const started = Date.now();
  try {
    for (let id = 1; id <= input.records; id++) {
      await producer.send(
        input.topic,
        (id % input.keys) % input.partitions,
        Buffer.from(benchRecord(id, input.keys)),
        keyOf(id, input.keys),
      );
      if (id % 500 === 0 && rate > 0) {
        const ahead = started + (id / rate) * 1000 - Date.now();
        if (ahead > 0) await sleep(ahead);
      }
      if (id % 10_000 === 0) progress(id);
    }
    await producer.flush(120_000);
  } finally {
    await producer.close();
  }
}

/** Until every window that had to close was read, or nothing new came for `stallMs`. */
async function waitForWindows(
  counts: ReadonlyMap<string, number>,
  closed: ReadonlySet<string>,
  stallMs: number,
  status?: (text: string) => void,
): Promise<void> {
  let seen = -1;
  let movedAt = Date.now();
  for (;;) {
    let have = 0;
    for (const window of closed) if (counts.has(window)) have++;
    if (have === closed.size) return;
    if (have !== seen) {
      seen = have;
      movedAt = Date.now();
      status?.(`windows ${have.toLocaleString('en-US')} of ${closed.size.toLocaleString('en-US')}`);
    } else if (Date.now() - movedAt > stallMs)
      throw new Error(
        `${closed.size - have} of ${closed.size} windows that had to close never came (no new one for ${Math.round(stallMs / 1000)} s)`,
      );
    await sleep(200);
  }
}
