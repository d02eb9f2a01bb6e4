// Runs Sluice's local Kafka broker: writes its configuration, formats its storage once with a
// generated cluster id, starts `kafka.Kafka` detached with its pid and log recorded, and stops it
// (SIGTERM for a controlled shutdown, SIGKILL after the deadline).

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SluiceError } from '../../errors/sluice-error.js';
import {
  isOurProcessAlive,
  logTail,
  readPid,
  type StopOutcome,
  spawnDetached,
  stopProcess,
} from '../process-control.js';
import { ensureKafkaDist, type KafkaDist } from './kafka-dist.js';
import { log4j2Properties, type SecuredListeners, serverProperties } from './server-properties.js';

export interface KafkaPaths {
  dir: string;
  dataDir: string;
  propsFile: string;
  log4jFile: string;
  logFile: string;
  pidFile: string;
  clusterIdFile: string;
}

export function kafkaPaths(stateDir: string): KafkaPaths {
  const dir = path.join(stateDir, 'kafka');
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    propsFile: path.join(dir, 'server.properties'),
    log4jFile: path.join(dir, 'log4j2.properties'),
    logFile: path.join(dir, 'kafka.log'),
    pidFile: path.join(dir, 'kafka.pid'),
    clusterIdFile: path.join(dir, 'cluster.id'),
  };
}

export interface KafkaStartOptions {
  stateDir: string;
  host?: string;
  cacheDir: string;
  port: number;
  controllerPort: number;
  heap: string;
  onProgress?: (line: string) => void;
  /** Also listen with SASL_SSL (and mutual TLS): for tests and trials of secured connections. */
  secured?: SecuredListeners;
}

/** The pid of our running broker for this state dir, if any. */
export function runningKafkaPid(stateDir: string): number | undefined {
  const paths = kafkaPaths(stateDir);
  const pid = readPid(paths.pidFile);
  return isOurProcessAlive(pid, paths.propsFile) ? pid : undefined;
}

export async function startKafka(options: KafkaStartOptions): Promise<{ pid: number; dist: KafkaDist }> {
  const paths = kafkaPaths(options.stateDir);
  const dist = await ensureKafkaDist(options.cacheDir, options.onProgress);
  requireJava();
  mkdirSync(paths.dataDir, { recursive: true });
  writeFileSync(
    paths.propsFile,
    serverProperties({
      ...(options.host ? { host: options.host } : {}),
      port: options.port,
      controllerPort: options.controllerPort,
      dataDir: paths.dataDir,
      ...(options.secured ? { secured: options.secured } : {}),
    }),
    // A secured broker's properties hold its keystore and user passwords: readable by us only
    // (the mode applies to a new file, chmod to one left by an earlier start).
    options.secured ? { mode: 0o600 } : {},
  );
  if (options.secured) chmodSync(paths.propsFile, 0o600);
  writeFileSync(paths.log4jFile, log4j2Properties());
  if (!existsSync(path.join(paths.dataDir, 'meta.properties'))) {
    options.onProgress?.('formatting Kafka storage (first start)');
    formatStorage(paths, dist, options.secured?.users ?? []);
  }
  const pid = spawnDetached({
    name: 'Kafka broker',
    command: 'java',
    args: [...jvmArgs(options.heap, paths), '-cp', dist.classpath, 'kafka.Kafka', paths.propsFile],
    logFile: paths.logFile,
    cwd: paths.dir,
  });
  writeFileSync(paths.pidFile, `${pid}\n`);
  return { pid, dist };
}

/** The broker port this state dir's configuration was last written with, if any. */
export function configuredKafkaPort(stateDir: string): number | undefined {
  try {
    const props = readFileSync(kafkaPaths(stateDir).propsFile, 'utf8');
    const match = /^listeners=PLAINTEXT:\/\/[^:]+:(\d+)/m.exec(props);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function stopKafka(stateDir: string, graceMs = 30_000): Promise<StopOutcome> {
  const paths = kafkaPaths(stateDir);
  return stopProcess('Kafka broker', readPid(paths.pidFile), paths.propsFile, graceMs);
}

export function kafkaLogTail(stateDir: string, lines = 20): string {
  return logTail(kafkaPaths(stateDir).logFile, lines);
}

function jvmArgs(heap: string, paths: KafkaPaths): string[] {
  return [
    `-Xmx${heap}`,
    `-Xms${heap}`,
    '-server',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${paths.log4jFile}`,
    `-Dkafka.logs.dir=${paths.dir}`,
  ];
}

function formatStorage(
  paths: KafkaPaths,
  dist: KafkaDist,
  scramUsers: readonly { name: string; password: string }[],
): void {
  let clusterId = existsSync(paths.clusterIdFile) ? readFileSync(paths.clusterIdFile, 'utf8').trim() : '';
  if (!clusterId) {
    // Kafka's Uuid text form: 16 random bytes, URL-safe base64 without padding. Like Kafka's own
    // Uuid.randomUuid, never one starting with '-': command-line parsers take it for an option.
    do clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-'));
    writeFileSync(paths.clusterIdFile, `${clusterId}\n`);
  }
  const result = spawnSync(
    'java',
    [
      '-Xmx256m',
      `-Dlog4j2.configurationFile=${paths.log4jFile}`,
      '-cp',
      dist.classpath,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId}`,
      `--config=${paths.propsFile}`,
      '--ignore-formatted',
      // KRaft keeps SCRAM credentials in the metadata log; format time is the one moment they can
      // be written without a running broker. The passwords are visible in this short-lived command
      // line: only generated test users (SecuredListeners) ever pass here.
      ...scramUsers.map((u) => `--add-scram=SCRAM-SHA-256=[name=${u.name},password=${u.password}]`),
    ],
    { encoding: 'utf8', cwd: paths.dir },
  );
  if (result.status !== 0) {
    throw new SluiceError(
      'INFRA_START_FAILED',
      `Formatting Kafka storage in ${paths.dataDir} failed (exit ${result.status}). ` +
        `Delete ${paths.dir} (or run \`npx sluice infra down --purge\`) and retry. StorageTool said:\n` +
        `${(result.stdout + result.stderr).trim().split('\n').slice(-15).join('\n')}`,
    );
  }
}

function requireJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new SluiceError(
      'INFRA_TOOL_MISSING',
      'Java is not on PATH; the Kafka broker runs on Java 17 or newer. ' +
        'Fix: run `npm run setup`, or `apt-get install openjdk-17-jre-headless`.',
    );
  }
}
