// The only place that reads environment variables and flags: it turns them into RawSettings for
// load-config.ts. Commands declare which settings they accept as flags; every setting can always
// come from its environment variable.

import type { Command } from 'commander';
import { loadConfig } from '../config/load-config.js';
import { type RawSettings, type SettingName, Settings } from '../config/settings.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { projectRoot } from './project-root.js';

/**
 * How a process logs in to Kafka and Redis: every command that connects takes these. The passwords
 * themselves have no flag (a command line is visible to every user of the host): only their files.
 */
export const CONNECTION_SECURITY_SETTINGS: readonly SettingName[] = [
  'kafkaSecurityProtocol',
  'kafkaSaslMechanism',
  'kafkaSaslUsername',
  'kafkaSaslPasswordFile',
  'kafkaSslCaLocation',
  'kafkaSslCertificateLocation',
  'kafkaSslKeyLocation',
  'redisUsername',
  'redisPasswordFile',
  'redisTlsCa',
  'clusterSecretFile',
];

/** Adds `--flag <value>` options for the given settings, described from the settings table. */
export function addSettingFlags(command: Command, names: readonly SettingName[]): Command {
  for (const name of names) {
    const spec = Settings[name];
    if (!spec.flag) continue;
    command.option(`${spec.flag} <value>`, `${spec.accepted} (env ${spec.env})`);
  }
  return command;
}

/** Environment first, then flags on top; an empty variable counts as unset. */
export function readRawSettings(env: NodeJS.ProcessEnv, flags: Record<string, unknown>): RawSettings {
  const raw: RawSettings = {};
  for (const name of Object.keys(Settings) as SettingName[]) {
    const spec = Settings[name];
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') raw[name] = { value: fromEnv, source: 'env' };
    if (spec.flag) {
      const fromFlag = flags[flagKey(spec.flag)];
      if (typeof fromFlag === 'string') raw[name] = { value: fromFlag, source: 'flag' };
    }
  }
  return raw;
}

/** Reads env and flags and validates them: the config every command starts from. */
export function configFromCli(
  flags: Record<string, unknown>,
  defaults: Partial<Record<SettingName, string>> = {},
): SluiceConfig {
  return loadConfig(readRawSettings(process.env, flags), { projectRoot: projectRoot(), defaults });
}

/** commander's camelCase key for a flag: --kafka-port -> kafkaPort. */
function flagKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
