// `sluice infra up | down | status | restart <service>`: the local Kafka broker and Redis.

import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { SluiceError } from '../errors/sluice-error.js';
import {
  infraDown,
  infraRestart,
  infraStatus,
  infraUp,
  type ServiceName,
  type ServiceStatus,
} from '../infra/infra.js';
import { ensureKafkaDist, isKafkaDistCached } from '../infra/kafka/kafka-dist.js';
import { runAction } from './fail.js';
import { LiveLine } from './live-line.js';
import { addSettingFlags, configFromCli } from './settings-options.js';
import { renderTable } from './table.js';

const INFRA_SETTINGS: readonly SettingName[] = [
  'kafkaPort',
  'infraHost',
  'kafkaControllerPort',
  'redisPort',
  'stateDir',
  'kafkaWaitTimeoutMs',
];

export function infraCommand(): Command {
  const infra = new Command('infra').description('start, stop and inspect the local Kafka broker and Redis');

  addSettingFlags(
    infra
      .command('up')
      .description('start Kafka (KRaft, one node) and Redis on loopback; reuse them if already running')
      .argument('[services...]', 'kafka, redis or both (the default)')
      .option('--json', 'print the result as JSON'),
    INFRA_SETTINGS,
  ).action((services: string[], flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags);
      const statuses = await up(config, serviceNames(services));
      print(statuses, flags.json === true);
      return statuses.every((s) => s.up) ? 0 : 1;
    }),
  );

  addSettingFlags(
    infra
      .command('down')
      .description('stop the Kafka broker and Redis this state dir started')
      .option('--purge', 'also delete their data (topics, offsets, Redis keys)'),
    INFRA_SETTINGS,
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags);
      const outcome = await infraDown(config.infra, { purge: flags.purge === true });
      for (const [service, result] of Object.entries(outcome)) {
        process.stdout.write(`${service}: ${result === 'not-running' ? 'was not running' : result}\n`);
      }
      if (flags.purge === true) process.stdout.write(`data deleted under ${config.infra.stateDir}\n`);
      return 0;
    }),
  );

  addSettingFlags(
    infra
      .command('status')
      .description('show ports, pids and versions; exits 1 when a service is down')
      .option('--json', 'print the result as JSON'),
    INFRA_SETTINGS,
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags);
      const statuses = await infraStatus(config.infra);
      print(statuses, flags.json === true);
      return statuses.every((s) => s.up) ? 0 : 1;
    }),
  );

  addSettingFlags(
    infra
      .command('restart')
      .argument('<service>', 'kafka or redis')
      .description('stop and start one service, keeping its data'),
    INFRA_SETTINGS,
  ).action((service: string, flags: Record<string, unknown>) =>
    runAction(async () => {
      if (service !== 'kafka' && service !== 'redis') {
        process.stderr.write(`Unknown service '${service}': expected kafka or redis.\n`);
        return 2;
      }
      const config = configFromCli(flags);
      const line = new LiveLine();
      try {
        const status = await infraRestart(config.infra, service, {
          kafkaTimeoutMs: config.kafka.waitTimeoutMs,
          onProgress: (s, m) => line.update(`${s}: ${m}`),
        });
        line.done();
        print([status], false);
        return status.up ? 0 : 1;
      } finally {
        line.done();
      }
    }),
  );

  addSettingFlags(
    infra.command('fetch').description('download the Kafka broker jars into the cache (no-op when cached)'),
    [],
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags);
      const cached = isKafkaDistCached(config.infra.cacheDir);
      const line = new LiveLine();
      const dist = await ensureKafkaDist(config.infra.cacheDir, (m) => line.update(m)).finally(() =>
        line.done(),
      );
      process.stdout.write(
        `Kafka ${dist.version} jars ${cached ? 'already cached' : 'fetched'} in ${dist.libDir}\n`,
      );
      return 0;
    }),
  );

  return infra;
}

/** Brings the infrastructure up with a live line; shared by `infra up` and `run`. */
/** `kafka`, `redis` or both; anything else stops the command with the fix. */
function serviceNames(given: readonly string[]): ServiceName[] | undefined {
  if (given.length === 0) return undefined;
  const wrong = given.filter((s) => s !== 'kafka' && s !== 'redis');
  if (wrong.length > 0)
    throw new SluiceError(
      'CONFIG_INVALID',
      `sluice infra up ${given.join(' ')}: ${wrong.join(', ')} is not a service. Fix: name kafka, redis, or neither for both.`,
      { details: { services: given } },
    );
  return [...new Set(given)] as ServiceName[];
}

export async function up(config: SluiceConfig, services?: readonly ServiceName[]): Promise<ServiceStatus[]> {
  const line = new LiveLine();
  try {
    return await infraUp(config.infra, {
      kafkaTimeoutMs: config.kafka.waitTimeoutMs,
      ...(services ? { services } : {}),
      onProgress: (service, message) => line.update(`${service}: ${message}`),
    });
  } finally {
    line.done();
  }
}

export function print(statuses: readonly ServiceStatus[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
    return;
  }
  const rows = statuses.map((s) => [
    s.name,
    s.up ? 'up' : 'DOWN',
    s.pid === undefined ? '-' : String(s.pid),
    s.address,
    s.version ?? '?',
    s.action ? `${s.action}; ${s.detail}` : s.detail,
  ]);
  process.stdout.write(`${renderTable(['SERVICE', 'STATE', 'PID', 'ADDRESS', 'VERSION', 'DETAIL'], rows)}\n`);
  const logs = statuses.map((s) => `  ${s.name}: ${s.logFile}`).join('\n');
  process.stdout.write(`logs:\n${logs}\n`);
}
