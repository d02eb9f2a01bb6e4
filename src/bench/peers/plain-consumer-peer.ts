// The plain at-least-once consumer as a benchmark peer: one worker process per partition
// (plain-consumer-worker.ts), counting per key into Redis.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRedis } from '../../connectors/redis/redis-client.js';
import type { BenchInput } from '../bench-input.js';
import { measureDrain } from '../drain-meter.js';
import { type BenchEnvironment, checkCounts, type PeerResult } from './peer.js';

export async function runPlainConsumer(env: BenchEnvironment, input: BenchInput): Promise<PeerResult> {
  const run = `plain-${Date.now().toString(36)}`;
  const counterKey = `sluice:bench:${run}`;
  const redis = createRedis({ url: env.redisUrl });
  await redis.connect();
  await redis.del(counterKey, `${counterKey}:by_key`);
  const worker = fileURLToPath(new URL('./plain-consumer-worker.js', import.meta.url));
  const workers = Array.from({ length: input.partitions }, (_, partition) =>
    spawn(
      process.execPath,
      [
        worker,
        env.bootstrapServers,
        input.topic,
        String(partition),
        env.redisUrl,
        counterKey,
        `sluice-bench-${run}`,
      ],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    ),
  );
  try {
    const drain = await measureDrain(
      async () => Number((await redis.get(counterKey)) ?? 0),
      input.records,
      600_000,
      env.stallMs,
    );
    const counts = new Map(
      Object.entries(await redis.hgetall(`${counterKey}:by_key`)).map(([k, v]) => [k, Number(v)]),
    );
    return { peer: 'plain-consumer', drain, ...checkCounts(counts, input.keys, input.perKey) };
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))),
    );
    await redis.del(counterKey, `${counterKey}:by_key`);
    redis.disconnect();
  }
}
