// The rules that tie the Kafka and Redis security settings together (a SASL protocol needs a
// mechanism, a user and one password; TLS files need a TLS protocol; ...), the reading of the
// password files, and the moving of credentials out of SLUICE_REDIS_URL. Each broken rule becomes
// one problem line for load-config.ts; no message ever quotes a secret.

import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Secret } from './secret.js';
import { type SettingName, Settings, type SettingValue } from './settings.js';
import type { KafkaSecurity, RedisConfig } from './sluice-config.js';

type KafkaSecurityName =
  | 'kafkaSecurityProtocol'
  | 'kafkaSaslMechanism'
  | 'kafkaSaslUsername'
  | 'kafkaSaslPassword'
  | 'kafkaSaslPasswordFile'
  | 'kafkaSslCaLocation'
  | 'kafkaSslCertificateLocation'
  | 'kafkaSslKeyLocation';
type RedisSecurityName = 'redisUsername' | 'redisPassword' | 'redisPasswordFile' | 'redisTlsCa';

type Values<N extends SettingName> = { readonly [K in N]: SettingValue<K> | undefined };

/** "SLUICE_X (--x)": the variable, and the flag when there is one, as the user may have used either. */
export function label(name: SettingName): string {
  const s = Settings[name];
  return s.flag ? `${s.env} (${s.flag})` : s.env;
}

/** Returns the Kafka clients' security settings, or undefined after adding the problems found. */
export function kafkaSecurityOf(v: Values<KafkaSecurityName>, problems: string[]): KafkaSecurity | undefined {
  const before = problems.length;
  const protocol = v.kafkaSecurityProtocol ?? 'PLAINTEXT';
  const sasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const protocolIs = `${label('kafkaSecurityProtocol')} is ${protocol}`;

  const saslGiven = (
    ['kafkaSaslMechanism', 'kafkaSaslUsername', 'kafkaSaslPassword', 'kafkaSaslPasswordFile'] as const
  ).filter((n) => v[n] !== undefined);
  if (!sasl && saslGiven.length > 0) {
    problems.push(
      `- ${saslGiven.map((n) => Settings[n].env).join(', ')} ${saslGiven.length > 1 ? 'are' : 'is'} set, but ` +
        `${protocolIs}, which sends no credentials. Fix: set ${Settings.kafkaSecurityProtocol.env} to ` +
        'SASL_SSL (or SASL_PLAINTEXT), or unset the SASL settings.',
    );
  }
  if (sasl && v.kafkaSaslMechanism === undefined) {
    problems.push(
      `- ${protocolIs} but ${label('kafkaSaslMechanism')} is not set. ` +
        'Fix: set it to the mechanism the broker listener enables: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.',
    );
  }
  if (sasl && v.kafkaSaslUsername === undefined) {
    problems.push(
      `- ${protocolIs} but ${label('kafkaSaslUsername')} is not set. Fix: set the SASL user name.`,
    );
  }
  const password = secretOf('kafkaSaslPassword', 'kafkaSaslPasswordFile', v, problems);
  if (sasl && password === 'missing') {
    problems.push(
      `- ${protocolIs} but no password is given. Fix: set ${Settings.kafkaSaslPassword.env}, or ` +
        `${label('kafkaSaslPasswordFile')} to a file that holds it.`,
    );
  }

  const sslGiven = (
    ['kafkaSslCaLocation', 'kafkaSslCertificateLocation', 'kafkaSslKeyLocation'] as const
  ).filter((n) => v[n] !== undefined);
  if (!tls && sslGiven.length > 0) {
    problems.push(
      `- ${sslGiven.map((n) => Settings[n].env).join(', ')} ${sslGiven.length > 1 ? 'are' : 'is'} set, but ` +
        `${protocolIs}, which does not use TLS. Fix: set ${Settings.kafkaSecurityProtocol.env} to SSL or ` +
        'SASL_SSL, or unset the TLS files.',
    );
  }
  if ((v.kafkaSslCertificateLocation === undefined) !== (v.kafkaSslKeyLocation === undefined)) {
    const [given, missing] =
      v.kafkaSslKeyLocation === undefined
        ? (['kafkaSslCertificateLocation', 'kafkaSslKeyLocation'] as const)
        : (['kafkaSslKeyLocation', 'kafkaSslCertificateLocation'] as const);
    problems.push(
      `- ${label(given)} is set without ${label(missing)}: mutual TLS needs the client certificate and ` +
        'its private key. Fix: set both, or neither.',
    );
  }
  const ca = pemLocation('kafkaSslCaLocation', v.kafkaSslCaLocation, problems, { directoryAllowed: true });
  const certificate = pemLocation('kafkaSslCertificateLocation', v.kafkaSslCertificateLocation, problems);
  const key = pemLocation('kafkaSslKeyLocation', v.kafkaSslKeyLocation, problems);

  if (problems.length > before) return undefined;
  const ssl = {
    ...(ca ? { caLocation: ca } : {}),
    ...(certificate ? { certificateLocation: certificate } : {}),
    ...(key ? { keyLocation: key } : {}),
  };
  return {
    protocol,
    ...(sasl && v.kafkaSaslMechanism && v.kafkaSaslUsername && password instanceof Secret
      ? { sasl: { mechanism: v.kafkaSaslMechanism, username: v.kafkaSaslUsername, password } }
      : {}),
    ...(Object.keys(ssl).length > 0 ? { ssl } : {}),
  };
}

/**
 * Returns the Redis connection settings for `url` (SLUICE_REDIS_URL or the derived local one), with
 * any user and password in the URL moved out of it; undefined after adding the problems found.
 */
export function redisConfigOf(
  url: string,
  v: Values<RedisSecurityName>,
  problems: string[],
): RedisConfig | undefined {
  const before = problems.length;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(
      `- ${label('redisUrl')}: got ${Settings.redisUrl.display?.(url) ?? url}, which is not a URL. ` +
        'Fix: write it as redis://[user:password@]host:port[/db] (rediss:// for TLS).',
    );
    return undefined;
  }
  const urlUser = decodeURIComponent(parsed.username);
  const urlPassword = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const tls = parsed.protocol === 'rediss:';

  if (urlUser && v.redisUsername !== undefined && v.redisUsername !== urlUser) {
    problems.push(
      `- ${Settings.redisUrl.env} names user '${urlUser}' and ${label('redisUsername')} names ` +
        `'${v.redisUsername}'. Fix: give the user in one place only.`,
    );
  }
  let password = secretOf('redisPassword', 'redisPasswordFile', v, problems);
  if (urlPassword) {
    if (password !== 'missing' && password !== 'invalid') {
      problems.push(
        `- ${Settings.redisUrl.env} holds a password and ${password.file ? label('redisPasswordFile') : Settings.redisPassword.env} ` +
          'gives one too. Fix: give the password in one place only (preferably the variable or the file).',
      );
    }
    password = new Secret(urlPassword);
  }
  const username = v.redisUsername ?? (urlUser || undefined);
  if (username !== undefined && password === 'missing') {
    problems.push(
      `- the Redis user '${username}' has no password. Fix: set ${Settings.redisPassword.env} or ` +
        `${label('redisPasswordFile')}, or unset ${Settings.redisUsername.env} to use the default user.`,
    );
  }
  if (v.redisTlsCa !== undefined && !tls) {
    problems.push(
      `- ${label('redisTlsCa')} is set, but ${Settings.redisUrl.env} is a redis:// URL, which does not use ` +
        'TLS. Fix: use a rediss:// URL for a TLS server, or unset the CA.',
    );
  }
  const tlsCaLocation = pemLocation('redisTlsCa', v.redisTlsCa, problems);

  if (problems.length > before) return undefined;
  return {
    url: parsed.href,
    ...(username !== undefined ? { username } : {}),
    ...(password instanceof Secret ? { password } : {}),
    ...(tlsCaLocation ? { tlsCaLocation } : {}),
  };
}

/** The password given inline or in a file: exactly one of the two, the file read now. */
function secretOf<
  I extends 'kafkaSaslPassword' | 'redisPassword',
  F extends 'kafkaSaslPasswordFile' | 'redisPasswordFile',
>(
  inline: I,
  file: F,
  v: { readonly [K in I | F]: string | undefined },
  problems: string[],
): Secret | 'missing' | 'invalid' {
  const value = v[inline];
  const location = v[file];
  if (value !== undefined && location !== undefined) {
    problems.push(
      `- both ${Settings[inline].env} and ${label(file)} are set. Fix: give the password one way only.`,
    );
    return 'invalid';
  }
  if (value !== undefined) return new Secret(value);
  if (location === undefined) return 'missing';
  return secretFromFile(file, location, 'password', problems) ?? 'invalid';
}

/** A secret read now from the file a setting names; undefined after adding the problem found. */
export function secretFromFile(
  file: SettingName,
  location: string,
  what: string,
  problems: string[],
): Secret | undefined {
  const absolute = path.resolve(location);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    problems.push(
      `- ${label(file)}: ${JSON.stringify(location)} ${unreadable(error)}. Fix: point it at the file that holds the ${what}.`,
    );
    return undefined;
  }
  // Files written by `echo` or an editor end with a newline that is not part of the secret.
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') {
    problems.push(`- ${label(file)}: ${JSON.stringify(location)} is empty. Fix: write the ${what} into it.`);
    return undefined;
  }
  return new Secret(secret, absolute);
}

/** An absolute path to a readable PEM file (or, for CAs, a directory of them); undefined when not given or bad. */
function pemLocation(
  name: SettingName,
  location: string | undefined,
  problems: string[],
  options: { directoryAllowed?: boolean } = {},
): string | undefined {
  if (location === undefined) return undefined;
  const absolute = path.resolve(location);
  const fix = 'Fix: point it at a readable PEM file.';
  try {
    accessSync(absolute, constants.R_OK);
    if (statSync(absolute).isDirectory()) {
      if (options.directoryAllowed) return absolute;
      problems.push(`- ${label(name)}: ${JSON.stringify(location)} is a directory. ${fix}`);
      return undefined;
    }
    if (!readFileSync(absolute, 'utf8').includes('-----BEGIN ')) {
      problems.push(
        `- ${label(name)}: ${JSON.stringify(location)} is not in PEM form (no -----BEGIN line). ${fix}`,
      );
      return undefined;
    }
    return absolute;
  } catch (error) {
    problems.push(`- ${label(name)}: ${JSON.stringify(location)} ${unreadable(error)}. ${fix}`);
    return undefined;
  }
}

function unreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read (permission denied)';
  if (code === 'EISDIR') return 'is a directory';
  return `cannot be read (${code ?? String(error)})`;
}
