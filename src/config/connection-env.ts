// The environment that gives a child Sluice process (a TaskManager started by the JobManager) this
// process's Kafka and Redis security settings. The environment, not the command line: argv is
// visible to every user of the host (ps), a process's environment only to its owner and root.

import type { Secret } from './secret.js';
import { type SettingName, Settings } from './settings.js';
import type { KafkaSecurity, RedisConfig } from './sluice-config.js';

/** Every setting written here; those this process does not use are cleared (undefined). */
const WRITTEN = [
  'kafkaSecurityProtocol',
  'kafkaSaslMechanism',
  'kafkaSaslUsername',
  'kafkaSaslPassword',
  'kafkaSaslPasswordFile',
  'kafkaSslCaLocation',
  'kafkaSslCertificateLocation',
  'kafkaSslKeyLocation',
  'redisUrl',
  'redisUsername',
  'redisPassword',
  'redisPasswordFile',
  'redisTlsCa',
  'clusterSecretFile',
] as const satisfies readonly SettingName[];

/**
 * Variables to lay over the inherited environment. An inherited variable this configuration does
 * not use is cleared, so that a child never combines, say, an inherited password with the file this
 * process was given (which load-config would reject) or uses credentials this process does not.
 * Node's spawn leaves out variables whose value is undefined.
 */
export function connectionSecurityEnv(
  kafka: KafkaSecurity,
  redis: RedisConfig,
  /** The JobManager–TaskManager secret: always from a file, passed on as that file. */
  cluster?: Secret,
): Record<string, string | undefined> {
  const values: Partial<Record<(typeof WRITTEN)[number], string>> = {
    kafkaSecurityProtocol: kafka.protocol,
    ...(kafka.sasl
      ? {
          kafkaSaslMechanism: kafka.sasl.mechanism,
          kafkaSaslUsername: kafka.sasl.username,
          ...password(kafka.sasl.password, 'kafkaSaslPassword', 'kafkaSaslPasswordFile'),
        }
      : {}),
    ...(kafka.ssl?.caLocation ? { kafkaSslCaLocation: kafka.ssl.caLocation } : {}),
    ...(kafka.ssl?.certificateLocation ? { kafkaSslCertificateLocation: kafka.ssl.certificateLocation } : {}),
    ...(kafka.ssl?.keyLocation ? { kafkaSslKeyLocation: kafka.ssl.keyLocation } : {}),
    // The credential-free URL: it decides redis:// or rediss://, which the TLS CA is checked against.
    redisUrl: redis.url,
    ...(redis.username !== undefined ? { redisUsername: redis.username } : {}),
    ...(redis.password ? password(redis.password, 'redisPassword', 'redisPasswordFile') : {}),
    ...(redis.tlsCaLocation ? { redisTlsCa: redis.tlsCaLocation } : {}),
    ...(cluster?.file ? { clusterSecretFile: cluster.file } : {}),
  };
  return Object.fromEntries(WRITTEN.map((name) => [Settings[name].env, values[name]]));
}

/** A password read from a file is passed on as that file, so it stays out of every environment. */
function password<I extends SettingName, F extends SettingName>(
  secret: Secret,
  inline: I,
  file: F,
): Partial<Record<I | F, string>> {
  return (secret.file ? { [file]: secret.file } : { [inline]: secret.reveal() }) as Partial<
    Record<I | F, string>
  >;
}
