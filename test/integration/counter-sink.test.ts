// Invariants of the Redis counter sink (apply-batch.lua / claim-partition.lua) against real Redis:
// each offset range is counted once, by the current owner only, and positions never go backwards.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import type { Sink } from '../../src/api/sink.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import {
  readCounterPositions,
  redisCounterSink,
  resetCounterSink,
} from '../../src/connectors/redis/counter-sink.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { testEnv, uniqueName } from '../helpers/test-env.js';

describe('Redis counter sink invariants', () => {
  const key = `${uniqueName('sink')}:counter`;
  let redis: Redis;
  const sinks: Sink<unknown>[] = [];
  const open = async () => {
    const sink = redisCounterSink<unknown>({ counterKey: key })({
      taskManagerId: 'TM-T',
      topic: 't',
      redis: { url: testEnv.redisUrl },
      kafka: { bootstrapServers: '', security: PLAINTEXT },
      groupId: '',
      consumer: undefined,
      startPositions: [],
    });
    await sink.open();
    sinks.push(sink);
    return sink;
  };
  const counter = async () => Number(await redis.get(key));

  before(async () => {
    redis = createRedis({ url: testEnv.redisUrl });
    await redis.connect();
    await resetCounterSink(redis, key, new Map([[0, 100]]));
  });
  after(async () => {
    for (const s of sinks) await s.close();
    await redis.del(key, `${key}:positions`, `${key}:epochs`);
    redis.disconnect();
  });

  it('starts a run from the given positions with the counter at zero', async () => {
    const sink = await open();
    const claim = await sink.claim(0);
    assert.equal(claim.position, 100);
    assert.equal(claim.epoch, 1);
    assert.equal(await counter(), 0);
  });

  it('applies a batch once: a retry of the same range is a duplicate and changes nothing', async () => {
    const sink = await open();
    const { epoch } = await sink.claim(0);
    const batch = [1, 2, 3, 4, 5];
    assert.deepEqual(await sink.apply(0, epoch, batch, { firstOffset: 100, nextOffset: 105 }), {
      status: 'applied',
      position: 105,
    });
    assert.deepEqual(await sink.apply(0, epoch, batch, { firstOffset: 100, nextOffset: 105 }), {
      status: 'duplicate',
      position: 105,
    });
    assert.equal(await counter(), 5);
  });

  it('refuses a batch that overlaps what was applied, and says where to resume', async () => {
    const sink = await open();
    const { epoch } = await sink.claim(0);
    assert.deepEqual(await sink.apply(0, epoch, [1, 2, 3], { firstOffset: 103, nextOffset: 108 }), {
      status: 'overlap',
      position: 105,
    });
    assert.equal(await counter(), 5);
  });

  it('fences a former owner: its late write is refused once a new owner claimed the partition', async () => {
    const zombie = await open();
    const zombieClaim = await zombie.claim(0);
    const owner = await open();
    const ownerClaim = await owner.claim(0);
    assert.equal(ownerClaim.epoch, zombieClaim.epoch + 1);
    assert.deepEqual(await zombie.apply(0, zombieClaim.epoch, [1], { firstOffset: 105, nextOffset: 106 }), {
      status: 'fenced',
      currentEpoch: ownerClaim.epoch,
    });
    assert.deepEqual(await owner.apply(0, ownerClaim.epoch, [1], { firstOffset: 105, nextOffset: 106 }), {
      status: 'applied',
      position: 106,
    });
    assert.equal(await counter(), 6);
  });

  it('accepts a batch that starts past the position (offset holes) and never moves it back', async () => {
    const sink = await open();
    const { epoch } = await sink.claim(0);
    await sink.apply(0, epoch, [1, 2], { firstOffset: 110, nextOffset: 112 });
    assert.deepEqual(await readCounterPositions(redis, key), new Map([[0, 112]]));
    assert.equal(
      (await sink.apply(0, epoch, [1], { firstOffset: 106, nextOffset: 107 })).status,
      'duplicate',
    );
    assert.deepEqual(await readCounterPositions(redis, key), new Map([[0, 112]]));
    assert.equal(await counter(), 8);
  });
});
