// Faults the reliability command and the fault tests do to the project's own Kafka and Redis, short
// of a restart: a service frozen (SIGSTOP, then SIGCONT: a long GC pause, a stalled VM, a disk that
// hangs) and Redis out of memory (`maxmemory` below what it holds, `noeviction`: every write refused
// with OOM until memory is given back). Each undoes itself when its time is up, even on an error.

import { setTimeout as sleep } from 'node:timers/promises';
import type { InfraConfig, RedisConfig } from '../config/sluice-config.js';
import { createRedis } from '../connectors/redis/redis-client.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { ServiceName } from './infra.js';
import { runningKafkaPid } from './kafka/kafka-broker.js';
import { runningRedisPid } from './redis/redis-server.js';

/** Freezes the service's process for `ms` (SIGSTOP), then lets it go on (SIGCONT). */
export async function freezeService(config: InfraConfig, service: ServiceName, ms: number): Promise<void> {
  const pid = service === 'kafka' ? runningKafkaPid(config.stateDir) : runningRedisPid(config.stateDir);
  if (pid === undefined)
    throw new SluiceError(
      'INFRA_START_FAILED',
      `cannot freeze ${service}: no ${service} of state dir ${config.stateDir} is running. ` +
        'Fix: let the command start its own services (do not pass --no-manage-infra).',
      { details: { service } },
    );
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/**
 * Redis out of memory for `ms`: `maxmemory` 1 byte with `noeviction`, so every write is refused with
 * OOM while reads still work; then the settings it had. Returns the memory Redis held meanwhile.
 */
export async function starveRedis(connection: RedisConfig, ms: number): Promise<{ usedBytes: number }> {
  const redis = createRedis(connection, { maxRetriesPerRequest: 20 });
  await redis.connect();
  try {
    const [, maxmemory = '0'] = (await redis.config('GET', 'maxmemory')) as string[];
    const [, policy = 'noeviction'] = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const info = await redis.info('memory');
    const usedBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    await redis.config('SET', 'maxmemory', '1');
    try {
      await sleep(ms);
    } finally {
      await redis.config('SET', 'maxmemory', maxmemory);
      await redis.config('SET', 'maxmemory-policy', policy);
    }
    return { usedBytes };
  } finally {
    redis.disconnect();
  }
}
