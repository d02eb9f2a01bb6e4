// `sluice infra up | down | status | restart`: the local Kafka broker and Redis as one unit.
// `up` is idempotent (a running service of this state dir is reused); `down` stops only what this
// state dir started; `status` probes each service with a real request.

import { existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InfraConfig } from '../config/sluice-config.js';
import { PLAINTEXT } from '../connectors/kafka/client-config.js';
import { probeKafka } from '../connectors/kafka/readiness.js';
import { pingRedis } from '../connectors/redis/redis-client.js';
import { SluiceError } from '../errors/sluice-error.js';
import {
  configuredKafkaPort,
  kafkaLogTail,
  kafkaPaths,
  runningKafkaPid,
  startKafka,
  stopKafka,
} from './kafka/kafka-broker.js';
import { KAFKA_VERSION } from './kafka/kafka-dist.js';
import { isPortOpen } from './ports.js';
import type { StopOutcome } from './process-control.js';
import {
  configuredRedisPort,
  redisLogTail,
  redisPaths,
  redisServerVersion,
  runningRedisPid,
  startRedis,
  stopRedis,
} from './redis/redis-server.js';

export type ServiceName = 'kafka' | 'redis';

export interface ServiceStatus {
  name: ServiceName;
  /** Up means: our process is alive AND it answered a real request. */
  up: boolean;
  pid: number | undefined;
  port: number;
  version: string | undefined;
  address: string;
  detail: string;
  /** Set by `up`: whether this call started it or found it running. */
  action?: 'started' | 'reused';
  logFile: string;
}

export type InfraProgress = (service: ServiceName, message: string) => void;

export interface InfraUpOptions {
  /** How long to wait for the broker to answer (the readiness deadline). */
  kafkaTimeoutMs: number;
  services?: readonly ServiceName[];
  onProgress?: InfraProgress;
}

const ALL: readonly ServiceName[] = ['kafka', 'redis'];

export async function infraUp(config: InfraConfig, options: InfraUpOptions): Promise<ServiceStatus[]> {
  const services = options.services ?? ALL;
  const progress = options.onProgress ?? (() => {});
  // Redis first: it is up in milliseconds, then the broker's JVM start overlaps nothing else.
  const results: ServiceStatus[] = [];
  if (services.includes('redis')) results.push(await redisUp(config, progress));
  if (services.includes('kafka')) results.push(await kafkaUp(config, options.kafkaTimeoutMs, progress));
  return sortByName(results);
}

async function kafkaUp(
  config: InfraConfig,
  timeoutMs: number,
  progress: InfraProgress,
): Promise<ServiceStatus> {
  const bootstrap = `${config.host}:${config.kafkaPort}`;
  let pid = runningKafkaPid(config.stateDir);
  let action: 'started' | 'reused' = 'reused';
  if (pid !== undefined)
    refusePortChange('Kafka broker', configuredKafkaPort(config.stateDir), config.kafkaPort, config);
  if (pid === undefined) {
    await refuseForeignPort('Kafka broker', config.kafkaPort, 'SLUICE_KAFKA_PORT', config.host);
    await refuseForeignPort('Kafka controller', config.kafkaControllerPort, 'SLUICE_KAFKA_CONTROLLER_PORT');
    progress('kafka', 'starting the broker');
    const started = await startKafka({
      stateDir: config.stateDir,
      cacheDir: config.cacheDir,
      host: config.host,
      port: config.kafkaPort,
      controllerPort: config.kafkaControllerPort,
      heap: config.kafkaHeap,
      onProgress: (line) => progress('kafka', line),
    });
    pid = started.pid;
    action = 'started';
  }
  const startedAt = Date.now();
  for (;;) {
    const waited = Date.now() - startedAt;
    progress('kafka', `waiting for the broker on ${bootstrap} (${(waited / 1000).toFixed(1)}s)`);
    if (runningKafkaPid(config.stateDir) === undefined) {
      throw new SluiceError(
        'INFRA_START_FAILED',
        `The Kafka broker (pid ${pid}) exited while starting. Last lines of ${kafkaPaths(config.stateDir).logFile}:\n` +
          kafkaLogTail(config.stateDir),
      );
    }
    // Sluice's own servers ask for no credentials (secured test servers are started apart).
    const probe = await probeKafka({ bootstrapServers: bootstrap, security: PLAINTEXT }, 1000);
    if (probe.ok) break;
    if (waited > timeoutMs) {
      throw new SluiceError(
        'INFRA_START_FAILED',
        `The Kafka broker (pid ${pid}) did not answer on ${bootstrap} within ${timeoutMs}ms (${probe.reason}). ` +
          `It is left running; see ${kafkaPaths(config.stateDir).logFile}, or stop it with \`npx sluice infra down\`. ` +
          `Last lines:\n${kafkaLogTail(config.stateDir)}`,
      );
    }
    await sleep(250);
  }
  return { ...(await kafkaStatus(config)), action };
}

async function redisUp(config: InfraConfig, progress: InfraProgress): Promise<ServiceStatus> {
  let pid = runningRedisPid(config.stateDir);
  let action: 'started' | 'reused' = 'reused';
  if (pid !== undefined)
    refusePortChange('Redis', configuredRedisPort(config.stateDir), config.redisPort, config);
  if (pid === undefined) {
    await refuseForeignPort('Redis', config.redisPort, 'SLUICE_REDIS_PORT', config.host);
    progress('redis', 'starting redis-server');
    pid = startRedis(config.stateDir, config.redisPort, config.host).pid;
    action = 'started';
  }
  const url = `redis://${config.host}:${config.redisPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (runningRedisPid(config.stateDir) === undefined) {
      throw new SluiceError(
        'INFRA_START_FAILED',
        `Redis (pid ${pid}) exited while starting. Last lines of ${redisPaths(config.stateDir).logFile}:\n` +
          redisLogTail(config.stateDir),
      );
    }
    progress('redis', `waiting for redis-server on ${url}`);
    try {
      await pingRedis({ url }, 500);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
  return { ...(await redisStatus(config)), action };
}

export async function infraDown(
  config: InfraConfig,
  options: { purge?: boolean; services?: readonly ServiceName[] } = {},
): Promise<Record<ServiceName, StopOutcome | 'skipped'>> {
  const services = options.services ?? ALL;
  const outcome: Record<ServiceName, StopOutcome | 'skipped'> = { kafka: 'skipped', redis: 'skipped' };
  if (services.includes('kafka')) outcome.kafka = await stopKafka(config.stateDir);
  if (services.includes('redis')) outcome.redis = await stopRedis(config.stateDir);
  if (options.purge) {
    if (services.includes('kafka')) rmSync(kafkaPaths(config.stateDir).dir, { recursive: true, force: true });
    if (services.includes('redis')) rmSync(redisPaths(config.stateDir).dir, { recursive: true, force: true });
  }
  return outcome;
}

/** Stops and starts one service, keeping its data (Redis replays its AOF, Kafka its log). */
export async function infraRestart(
  config: InfraConfig,
  service: ServiceName,
  options: Omit<InfraUpOptions, 'services'>,
): Promise<ServiceStatus> {
  await infraDown(config, { services: [service] });
  const [status] = await infraUp(config, { ...options, services: [service] });
  if (!status) throw new Error(`restart of ${service} returned no status`);
  return status;
}

export async function infraStatus(config: InfraConfig): Promise<ServiceStatus[]> {
  return [await kafkaStatus(config), await redisStatus(config)];
}

async function kafkaStatus(config: InfraConfig): Promise<ServiceStatus> {
  const pid = runningKafkaPid(config.stateDir);
  const address = `${config.host}:${config.kafkaPort}`;
  const base = {
    name: 'kafka' as const,
    pid,
    port: config.kafkaPort,
    address,
    logFile: kafkaPaths(config.stateDir).logFile,
  };
  if (pid === undefined) {
    const formatted = existsSync(kafkaPaths(config.stateDir).dataDir);
    return {
      ...base,
      up: false,
      version: KAFKA_VERSION,
      detail: formatted ? 'stopped' : 'never started here',
    };
  }
  const probe = await probeKafka({ bootstrapServers: address, security: PLAINTEXT }, 2000);
  return {
    ...base,
    up: probe.ok,
    version: KAFKA_VERSION,
    detail: probe.ok
      ? `answering metadata requests (${probe.brokers} broker)`
      : `process alive, not answering: ${probe.reason}`,
  };
}

async function redisStatus(config: InfraConfig): Promise<ServiceStatus> {
  const pid = runningRedisPid(config.stateDir);
  const url = `redis://${config.host}:${config.redisPort}`;
  const base = {
    name: 'redis' as const,
    pid,
    port: config.redisPort,
    address: url,
    logFile: redisPaths(config.stateDir).logFile,
  };
  if (pid === undefined) return { ...base, up: false, version: redisServerVersion(), detail: 'stopped' };
  try {
    const version = await pingRedis({ url }, 2000);
    return { ...base, up: true, version, detail: 'answering PING (AOF on)' };
  } catch (error) {
    return {
      ...base,
      up: false,
      version: redisServerVersion(),
      detail: `process alive, not answering: ${String(error)}`,
    };
  }
}

async function refuseForeignPort(
  what: string,
  port: number,
  variable: string,
  host = '127.0.0.1',
): Promise<void> {
  if ((await isPortOpen(port)) || (host !== '127.0.0.1' && (await isPortOpen(port, host)))) {
    throw new SluiceError(
      'INFRA_PORT_IN_USE',
      `Port ${port} (for the ${what}) is already in use by a process this state dir did not start. ` +
        `Fix: stop that process, or choose another port with ${variable} (or the matching --flag).`,
      { details: { port } },
    );
  }
}

/** A running service of this state dir listens where it was started; a new port means: stop it first. */
function refusePortChange(
  what: string,
  running: number | undefined,
  wanted: number,
  config: InfraConfig,
): void {
  if (running === undefined || running === wanted) return;
  throw new SluiceError(
    'INFRA_PORT_IN_USE',
    `The ${what} of ${config.stateDir} is already running on port ${running}, not on the requested ${wanted}. ` +
      'Fix: use the running one (unset the port setting), or stop it first with `npx sluice infra down`.',
    { details: { running, wanted } },
  );
}

function sortByName(statuses: ServiceStatus[]): ServiceStatus[] {
  return statuses.sort((a, b) => a.name.localeCompare(b.name));
}
