// What every benchmark command shares: the local Kafka and Redis brought up (and stopped after, if
// started here), the environment peers get, a line naming the machine, and where figures are saved.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchEnvironment } from '../../bench/peers/peer.js';
import type { SluiceConfig } from '../../config/sluice-config.js';
import { SluiceError } from '../../errors/sluice-error.js';
import { infraDown, type ServiceName } from '../../infra/infra.js';
import { KAFKA_VERSION } from '../../infra/kafka/kafka-dist.js';
import { descendantsOf, isOurProcessAlive } from '../../infra/process-control.js';
import { builtInJobsDir } from '../built-in-jobs.js';
import { up } from '../infra-command.js';
import { taskManagerCommandLine } from '../job-session.js';
import { projectRoot } from '../project-root.js';
import { configFromCli } from '../settings-options.js';

export const list = (value: unknown) =>
  String(value)
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);

export async function withBenchInfra<T>(
  flags: Record<string, unknown>,
  body: (config: SluiceConfig, env: BenchEnvironment) => Promise<T>,
): Promise<T> {
  const config = configFromCli(flags, { logFormat: 'json', logLevel: 'silent', jobManagerPort: '0' });
  refuseSecuredCluster(config);
  const started: ServiceName[] = [];
  // Stopped by a signal (Ctrl-C, or a kill of this process alone): the peers' processes (Kafka
  // Streams JVMs, TaskManagers, workers) go at once, the services this command started are stopped
  // as usual, and the command ends with 130 - instead of leaving them all running.
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: stopped by ${signal} - stopping its peers and the services it started\n`);
    for (const pid of descendantsOf(process.pid)) {
      // The broker and Redis (their command lines name the state dir) stop cleanly below.
      if (isOurProcessAlive(pid, config.infra.stateDir)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const down = started.length > 0 ? infraDown(config.infra, { services: started }) : Promise.resolve([]);
    void down.finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (config.runtime.manageInfra)
      started.push(...(await up(config)).filter((s) => s.action === 'started').map((s) => s.name));
    return await body(config, benchEnvironment(config));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (started.length > 0) await infraDown(config.infra, { services: started });
  }
}

/** What a benchmark peer (or a run built on one, the windowed reliability run) is given. */
export function benchEnvironment(config: SluiceConfig): BenchEnvironment {
  return {
    bootstrapServers: config.kafka.bootstrapServers,
    redisUrl: config.redis.url,
    workDir: path.join(config.infra.stateDir, 'bench'),
    cacheDir: config.infra.cacheDir,
    taskManagerCommand: taskManagerCommandLine(),
    jobsDir: builtInJobsDir(),
    log: (line) => process.stderr.write(`${line}\n`),
    // The broker gone (or a peer stuck) shows as output that stopped: as long as Sluice waits for Kafka.
    stallMs: config.kafka.waitTimeoutMs,
  };
}

/**
 * The peer benchmarks compare Sluice with Kafka Streams and hand-written consumers on the local,
 * unsecured infra: their worker processes take their addresses on the command line, where no
 * credential may go. `distribution` and `delivery` run Sluice alone and take any cluster.
 */
export function refuseSecuredCluster(config: SluiceConfig): void {
  const { password, username, tlsCaLocation } = config.redis;
  if (config.kafka.security.protocol === 'PLAINTEXT' && !password && username === undefined && !tlsCaLocation)
    return;
  throw new SluiceError(
    'CONFIG_INVALID',
    'The throughput, failover, latency and footprint benchmarks run against an unsecured Kafka and Redis ' +
      '(`sluice infra up`), but Kafka security or Redis credentials are set. Fix: unset SLUICE_KAFKA_SECURITY_PROTOCOL ' +
      'and the SLUICE_KAFKA_SASL_* / SLUICE_KAFKA_SSL_*, SLUICE_REDIS_USERNAME / SLUICE_REDIS_PASSWORD* / SLUICE_REDIS_TLS_CA settings for the ' +
      'benchmark, or use `sluice bench distribution` or `sluice bench delivery`, which take any cluster.',
  );
}

export function machineLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Kafka ${KAFKA_VERSION}`;
}

export function saveBenchJson(name: string, data: unknown): string {
  const dir = path.join(projectRoot(), 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(
    dir,
    `${name}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}.json`,
  );
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/** Starts Kafka and Redis unless they run (and the settings let Sluice manage them); says which it started. */
export async function upForBench(config: SluiceConfig): Promise<ServiceName[]> {
  if (!config.runtime.manageInfra) return [];
  return (await up(config)).filter((s) => s.action === 'started').map((s) => s.name);
}

/** Where the Kafka Streams peer's sources are. */
export function kafkaStreamsSource(): string {
  return path.join(projectRoot(), 'bench', 'peers', 'kafka-streams');
}
