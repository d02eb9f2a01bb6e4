// ioredis clients for Sluice: one constructor with the settings every component shares, and a
// bounded PING used by readiness checks and `infra status`.

import { Redis, type RedisOptions } from 'ioredis';
import { SluiceError } from '../../errors/sluice-error.js';

export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const merged: RedisOptions = {
    // Fail fast on a dead server instead of queueing commands forever; retry loops decide.
    enableOfflineQueue: true,
    maxRetriesPerRequest: 3,
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(times * 100, 1000),
    lazyConnect: true,
    ...options,
  };
  return new Redis(url, merged);
}

/** PINGs once; resolves with the server's version, or rejects with REDIS_UNAVAILABLE. */
export async function pingRedis(url: string, timeoutMs = 2000): Promise<string> {
  const redis = createRedis(url, {
    connectTimeout: timeoutMs,
    // Something that accepts connections but never answers (not Redis) must not hang us.
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } catch (error) {
    throw new SluiceError(
      'REDIS_UNAVAILABLE',
      `Redis at ${url} did not answer: ${error instanceof Error ? error.message : String(error)}. ` +
        'Fix: start it with `npx sluice infra up`, or point SLUICE_REDIS_URL at a running server.',
      { cause: error },
    );
  } finally {
    redis.disconnect();
  }
}
