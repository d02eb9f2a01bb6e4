// What integration tests share: the broker and Redis that run-tests.ts started, unique names so
// tests never see each other's topics, groups or keys, and a deadline-bounded poll.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { InfraConfig } from '../../src/config/sluice-config.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run integration tests through \`npm test\`, which starts Kafka and Redis.`,
    );
  }
  return value;
}

export const testEnv = {
  get kafkaBootstrap(): string {
    return required('SLUICE_TEST_KAFKA_BOOTSTRAP');
  },
  get redisUrl(): string {
    return required('SLUICE_TEST_REDIS_URL');
  },
  get cacheDir(): string {
    return required('SLUICE_TEST_CACHE_DIR');
  },
  /** The test broker's and Redis's infra settings, to restart them in fault tests. */
  get infra(): InfraConfig {
    return JSON.parse(required('SLUICE_TEST_INFRA')) as InfraConfig;
  },
};

/** The checkout's root (where bin/sluice.js is), from dist/test/helpers/. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Polls `check` until it returns a value other than undefined, or fails after timeoutMs. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(options.intervalMs ?? 200);
  }
  throw new Error(
    `Timed out after ${timeoutMs}ms waiting for ${what}${lastError ? `; last error: ${String(lastError)}` : ''}`,
  );
}

/**
 * `promise`, or an error naming `what` once timeoutMs has passed. The timer is cleared either way:
 * a losing poll or timer would keep the test file's process alive (a minute, once) after its tests.
 */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs}ms: ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
