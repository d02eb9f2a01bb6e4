// A takeover as the seed job's Redis guard records it: from `act` until a new owner claimed each of
// the partitions (its fencing epoch moved on) and applied a record past where the partition stood
// at that claim. Positions alone would count a write the old owner had in flight when it was hit.

import type { Redis } from 'ioredis';
import { counterKeys } from '../../src/connectors/redis/counter-keys.js';
import { guardField } from '../../src/connectors/redis/redis-sink.js';
import { eventually } from './test-env.js';

export async function guardTakeover(
  redis: Redis,
  counterKey: string,
  topic: string,
  partitions: readonly number[],
  act: () => void,
): Promise<number> {
  const keys = counterKeys(counterKey);
  const epochsBefore = await redis.hgetall(keys.epochs);
  const claimedAt = new Map<number, number>();
  const at = Date.now();
  act();
  await eventually(
    `partitions ${partitions.join(', ')} claimed by a new owner and progressing`,
    async () => {
      const [epochs, positions] = await Promise.all([
        redis.hgetall(keys.epochs),
        redis.hgetall(keys.positions),
      ]);
      // The counter's guard keeps each task (topic:partition) of the job's topic.
      const field = (p: number) => guardField(topic, p);
      for (const p of partitions) {
        if (!claimedAt.has(p) && epochs[field(p)] !== epochsBefore[field(p)])
          claimedAt.set(p, Number(positions[field(p)] ?? -1));
      }
      return partitions.every(
        (p) => Number(positions[field(p)] ?? -1) > (claimedAt.get(p) ?? Number.POSITIVE_INFINITY),
      )
        ? true
        : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  return Date.now() - at;
}
