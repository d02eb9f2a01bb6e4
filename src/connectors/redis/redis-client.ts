// ioredis clients for Sluice: one constructor with the settings every component shares (the
// credentials and TLS settings among them), a connect that says why it failed, and a bounded PING
// used by readiness checks and `infra status`.

import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../../config/sluice-config.js';
import { SluiceError } from '../../errors/sluice-error.js';

export type { RedisConfig } from '../../config/sluice-config.js';

/**
 * A client of `connection`. Its URL never holds credentials (load-config moved them out); the user
 * and password go to ioredis as options, which sends them in AUTH and nowhere else.
 */
export function createRedis(connection: RedisConfig, options: RedisOptions = {}): Redis {
  const merged: RedisOptions = {
    // Fail fast on a dead server instead of queueing commands forever; retry loops decide.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 3,
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    lazyConnect: true,
    ...credentialOptions(connection),
    ...options,
  };
  const redis = new Redis(connection.url, merged);
  // ioredis reports why a connection failed (a refused AUTH, a TLS check) only as an 'error'
  // event, then rejects connect() with a bare "Connection is closed": keep the reason for it.
  redis.on('error', (error: Error) => {
    lastErrors.set(redis, error);
  });
  return redis;
}

const lastErrors = new WeakMap<Redis, Error>();

function credentialOptions(connection: RedisConfig): RedisOptions {
  const tls = new URL(connection.url).protocol === 'rediss:';
  return {
    ...(connection.username !== undefined ? { username: connection.username } : {}),
    ...(connection.password ? { password: connection.password.reveal() } : {}),
    // rediss:// turns TLS on in ioredis; a private CA replaces the system's store (Node checks the
    // server's name against its certificate either way).
    ...(tls && connection.tlsCaLocation ? { tls: { ca: readFileSync(connection.tlsCaLocation) } } : {}),
  };
}

/**
 * Connects and PINGs, or throws: REDIS_AUTH_FAILED when the server refused the credentials, wants
 * some and got none, or the TLS handshake failed (retrying cannot help), REDIS_UNAVAILABLE
 * otherwise. `who` names the client in the message ("the counter sink of TM-01").
 */
export async function connectRedis(redis: Redis, connection: RedisConfig, who: string): Promise<void> {
  try {
    await redis.connect();
    // Without credentials the connection opens fine and the first command meets NOAUTH: meet it here.
    await redis.ping();
  } catch (error) {
    // ioredis rejects a connection that AUTH or TLS ended with a bare "Connection is closed.": the
    // reason is the error it reported just before.
    const closed = error instanceof Error && error.message === 'Connection is closed.';
    const reason = closed ? (lastErrors.get(redis) ?? error) : error;
    redis.disconnect();
    throw redisConnectError(connection, reason, who);
  }
}

/** PINGs once; resolves with the server's version, or rejects as connectRedis does. */
export async function pingRedis(connection: RedisConfig, timeoutMs = 2000): Promise<string> {
  const redis = createRedis(connection, {
    connectTimeout: timeoutMs,
    // Something that accepts connections but never answers (not Redis) must not hang us.
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  try {
    await connectRedis(redis, connection, 'Sluice');
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch (error) {
    if (error instanceof SluiceError) throw error;
    throw redisConnectError(connection, error, 'Sluice');
  } finally {
    redis.disconnect();
  }
}

/** Node's codes for a server certificate that does not check out. */
const CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function redisConnectError(connection: RedisConfig, error: unknown, who: string): SluiceError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const where = `Redis at ${connection.url}`;
  const user = connection.username ?? 'default';
  // WRONGPASS: a user or password the server does not know; NOAUTH: it wants one and got none.
  if (/^WRONGPASS/.test(message)) {
    return new SluiceError(
      'REDIS_AUTH_FAILED',
      `${where} refused the credentials of user '${user}' that ${who} sent (${message}). ` +
        'Fix: check SLUICE_REDIS_USERNAME and SLUICE_REDIS_PASSWORD (or the file SLUICE_REDIS_PASSWORD_FILE names).',
      { cause: error, details: { url: connection.url, user } },
    );
  }
  if (/^NOAUTH/.test(message)) {
    return new SluiceError(
      'REDIS_AUTH_FAILED',
      `${where} requires a password and ${who} sent none (${message}). ` +
        'Fix: set SLUICE_REDIS_PASSWORD or SLUICE_REDIS_PASSWORD_FILE (and SLUICE_REDIS_USERNAME for an ACL user).',
      { cause: error, details: { url: connection.url } },
    );
  }
  if (CERTIFICATE_CODES.has(code) || /certificate/i.test(message)) {
    return new SluiceError(
      'REDIS_AUTH_FAILED',
      `${where} presented a TLS certificate that ${who} could not verify (${message}). ` +
        "Fix: set SLUICE_REDIS_TLS_CA to the PEM file of the CA that signed the server's certificate, " +
        'and connect by a name or address the certificate lists.',
      { cause: error, details: { url: connection.url } },
    );
  }
  return new SluiceError(
    'REDIS_UNAVAILABLE',
    `${where} did not answer ${who}: ${message}. ` +
      'Fix: start it with `npx sluice infra up`, or point SLUICE_REDIS_URL at a running server ' +
      '(rediss:// when it only speaks TLS).',
    { cause: error, details: { url: connection.url } },
  );
}
