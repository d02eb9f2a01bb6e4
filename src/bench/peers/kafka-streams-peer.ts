// Kafka Streams as a benchmark peer: the same count-per-key job as a Kafka Streams 4.x app
// (bench/peers/kafka-streams/, exactly_once_v2), built with Maven into the cache on first use,
// run as a JVM, read back from its output topic like any read_committed consumer would.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaAdmin } from '../../connectors/kafka/admin.js';
import { PLAINTEXT } from '../../connectors/kafka/client-config.js';
import { SluiceError } from '../../errors/sluice-error.js';
import type { BenchInput } from '../bench-input.js';
import { measureDrain } from '../drain-meter.js';
import { decodeLong, KeyedOutputReader } from '../keyed-output-reader.js';
import { type BenchEnvironment, checkCounts, type PeerResult } from './peer.js';

/** How long a Kafka Streams JVM may take to reach RUNNING (JVM start, group join) before the bench gives up. */
const READY_TIMEOUT_MS = 120_000;

/** Builds the app once per version of its sources (Maven, from Maven Central) and returns the java -cp value. */
export function buildKafkaStreamsPeer(env: BenchEnvironment, sourceDir: string): string {
  const dir = path.join(env.cacheDir, 'bench', `kafka-streams-${sourceHash(sourceDir)}`);
  const classpath = `${path.join(dir, 'target', 'kafka-streams-peer-1.jar')}:${path.join(dir, 'target', 'libs', '*')}`;
  if (existsSync(path.join(dir, 'target', 'kafka-streams-peer-1.jar'))) return classpath;
  env.log('building the Kafka Streams peer with Maven (first run only)');
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(sourceDir, 'pom.xml'), path.join(dir, 'pom.xml'));
  cpSync(path.join(sourceDir, 'src'), path.join(dir, 'src'), { recursive: true });
  const result = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      path.join(dir, 'pom.xml'),
      'package',
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${path.join(dir, 'target', 'libs')}`,
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new SluiceError(
      'INFRA_KAFKA_JARS_UNAVAILABLE',
      `Building the Kafka Streams peer failed:\n${(result.stdout + result.stderr).slice(-2000)}`,
    );
  }
  return classpath;
}

/** A short hash of the peer's pom and sources: a changed app is built again, in its own directory. */
function sourceHash(sourceDir: string): string {
  const hash = createHash('sha256');
  const files = [
    path.join(sourceDir, 'pom.xml'),
    ...readdirSync(path.join(sourceDir, 'src'), { recursive: true, encoding: 'utf8' })
      .map((f) => path.join(sourceDir, 'src', f))
      .filter((f) => statSync(f).isFile())
      .sort(),
  ];
  for (const f of files) hash.update(f.slice(sourceDir.length)).update(readFileSync(f));
  return hash.digest('hex').slice(0, 12);
}

export interface RunningStreams {
  process: ChildProcess;
  ready: Promise<void>;
  stop: () => Promise<void>;
}

export function startKafkaStreams(
  env: BenchEnvironment,
  classpath: string,
  args: {
    input: string;
    output: string;
    applicationId: string;
    threads: number;
    overrides?: Record<string, string | number>;
    /** The app's main class and the arguments after <threads> (default: CountPerKey, none). */
    mainClass?: string;
    extraArgs?: readonly string[];
  },
): RunningStreams {
  const logDir = path.join(env.workDir, 'kafka-streams');
  mkdirSync(logDir, { recursive: true });
  const instance = args.overrides?.['client.id'];
  const log = createWriteStream(
    path.join(logDir, `${args.applicationId}${instance ? `-${instance}` : ''}.log`),
    { flags: 'a' },
  );
  const child = spawn(
    'java',
    [
      '-Xmx512m',
      // Where StreamsApp puts its state directory: the same place stop() removes it from.
      `-Djava.io.tmpdir=${os.tmpdir()}`,
      '-cp',
      classpath,
      args.mainClass ?? 'dev.sluice.bench.CountPerKey',
      env.bootstrapServers,
      args.input,
      args.output,
      args.applicationId,
      String(args.threads),
      ...(args.extraArgs ?? []),
      ...Object.entries(args.overrides ?? {}).map(([k, v]) => `${k}=${v}`),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr?.pipe(log, { end: false });
  const ready = new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (b: Buffer) => {
      log.write(b);
      buffered += b.toString();
      if (buffered.includes('READY')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`Kafka Streams exited (${code}) before it was RUNNING; see ${logDir}`)),
    );
    // A JVM that neither starts nor exits must not hold the bench forever.
    const timer = setTimeout(
      () =>
        reject(new Error(`Kafka Streams was not RUNNING after ${READY_TIMEOUT_MS / 1000}s; see ${logDir}`)),
      READY_TIMEOUT_MS,
    );
    timer.unref();
  });
  ready.catch(() => {});
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const deadline = Date.now() + 30_000;
      while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(50);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    log.end();
    // The process's state directory (StreamsApp names it after the application and the pid).
    rmSync(path.join(os.tmpdir(), `sluice-bench-streams-${args.applicationId}-${child.pid}`), {
      recursive: true,
      force: true,
    });
  };
  return { process: child, ready, stop };
}

/** The windowed job instead of the count per key: its window size, the counted records that mean done, the check. */
export interface WindowedRun {
  readonly windowMs: number;
  readonly records: number;
  /** How many of those the output holds so far. */
  readonly progress: (reader: KeyedOutputReader) => number;
  readonly check: (counts: ReadonlyMap<string, number>) => { exact: boolean; detail: string };
}

/**
 * An application id, its output topic (made) and a read_committed reader of it, for one Kafka
 * Streams run; `close` stops the reader and deletes the output and the count's changelog.
 */
export async function streamsOutput(env: BenchEnvironment, input: BenchInput, prefix: string) {
  const id = `${prefix}-${Date.now().toString(36)}`;
  const output = `${id}-out`;
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: env.bootstrapServers,
    clientId: 'sluice-bench-streams-admin',
  });
  let reader: KeyedOutputReader;
  try {
    await admin.ensureTopic(output, input.partitions);
    reader = await KeyedOutputReader.start({
      bootstrapServers: env.bootstrapServers,
      topic: output,
      partitions: input.partitions,
      mode: 'latest',
      decode: decodeLong,
    });
  } catch (error) {
    // An open admin client keeps the process alive: the bench would print its error and hang.
    admin.close();
    throw error;
  }
  const close = async () => {
    await reader.stop();
    for (const topic of [output, `${id}-KSTREAM-AGGREGATE-STATE-STORE-0000000001-changelog`])
      await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  };
  return { id, output, reader, close };
}

export async function runKafkaStreams(
  env: BenchEnvironment,
  input: BenchInput,
  sourceDir: string,
  windowed?: WindowedRun,
): Promise<PeerResult> {
  const classpath = buildKafkaStreamsPeer(env, sourceDir);
  const { id, output, reader, close } = await streamsOutput(env, input, 'sluice-bench-streams');
  // Four stream threads, one per partition, as Sluice has four ACTIVE TaskManagers.
  const streams = startKafkaStreams(env, classpath, {
    input: input.topic,
    output,
    applicationId: id,
    threads: input.partitions,
    ...(windowed
      ? {
          mainClass: 'dev.sluice.bench.WindowedCount',
          extraArgs: [String(windowed.windowMs)],
          // Look for closed windows at every record, not once a second of wall-clock time (the
          // default): a check that waits for the next record never comes once the input ends.
          overrides: { '__emit.interval.ms.kstreams.windowed.aggregation__': 0 },
        }
      : {}),
  });
  try {
    if (windowed) {
      const drain = await measureDrain(
        async () => windowed.progress(reader),
        windowed.records,
        600_000,
        env.stallMs,
      );
      return { peer: 'kafka-streams', drain, ...windowed.check(reader.counts) };
    }
    const drain = await measureDrain(async () => reader.total, input.records, 600_000, env.stallMs);
    return { peer: 'kafka-streams', drain, ...checkCounts(reader.counts, input.keys, input.perKey) };
  } finally {
    await streams.stop();
    await close();
  }
}
