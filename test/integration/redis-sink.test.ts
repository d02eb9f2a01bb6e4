// Invariants of the guarded Redis sinks (guarded-write.lua / guard-claim.lua) against real Redis:
// each source offset range is written once, only by the task's current owner, positions never go
// backwards — for the seed's counter and for keyed writes (HINCRBY, HSET).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { redisCounter, redisWrite, type Sink } from '../../src/api/sinks.js';
import { counterKeys } from '../../src/connectors/redis/counter-keys.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import {
  RedisSinkConnector,
  readGuardPositions,
  resetCounter,
} from '../../src/connectors/redis/redis-sink.js';
import type { ConnectorBatch, TaskRef } from '../../src/connectors/sink-connector.js';
import { encoderFor } from '../../src/plan/sink-encoders.js';
import { testEnv, uniqueName } from '../helpers/test-env.js';

const task: TaskRef = { id: 't-0', topic: 't', partition: 0 };
const lease = (epoch: number) => ({ epoch, position: -1, checkpointId: -1 });

function batch(epoch: number, firstOffset: number, nextOffset: number, values: unknown[]): ConnectorBatch {
  return { task, epoch, firstOffset, nextOffset, outputs: [{ sink: 0, values, sources: [] }] };
}

describe('guarded Redis sinks', () => {
  const key = `${uniqueName('sink')}:counter`;
  let redis: Redis;
  const connectors: RedisSinkConnector[] = [];
  const open = async (sink: Sink<unknown> = redisCounter({ key })) => {
    const connector = new RedisSinkConnector(sink as never, 0, {
      redis: { url: testEnv.redisUrl },
      groupId: key,
      clientName: 'TM-T',
    });
    await connector.open();
    connectors.push(connector);
    return connector;
  };
  const counter = async () => Number(await redis.get(key));

  before(async () => {
    redis = createRedis({ url: testEnv.redisUrl });
    await redis.connect();
    await resetCounter(redis, key, [{ topic: 't', partition: 0, offset: 100 }]);
  });
  after(async () => {
    for (const c of connectors) await c.close();
    const k = counterKeys(key);
    await redis.del(key, k.positions, k.epochs, `${key}:hash`, `sluice:${key}:sink:redis:HINCRBY:positions`);
    redis.disconnect();
  });

  it('starts a run from the given positions with the counter at zero', async () => {
    const sink = await open();
    assert.deepEqual(await sink.restore(task, lease(1)), { position: 100 });
    assert.equal(await counter(), 0);
  });

  it('applies a batch once: a retry of the same range is a duplicate and changes nothing', async () => {
    const sink = await open();
    await sink.restore(task, lease(2));
    const values = [{}, {}, {}, {}, {}];
    assert.deepEqual(await sink.write(batch(2, 100, 105, values)), { status: 'written' });
    assert.deepEqual(await sink.write(batch(2, 100, 105, values)), { status: 'duplicate' });
    assert.equal(await counter(), 5);
  });

  it('refuses a batch that overlaps what was applied, and says where to resume', async () => {
    const sink = await open();
    await sink.restore(task, lease(3));
    assert.deepEqual(await sink.write(batch(3, 103, 108, [{}, {}, {}])), {
      status: 'overlap',
      position: 105,
    });
    assert.equal(await counter(), 5);
  });

  it("fences a former owner: its late write is refused once a new owner's epoch reached the sink", async () => {
    const zombie = await open();
    await zombie.restore(task, lease(4));
    const owner = await open();
    await owner.restore(task, lease(5));
    assert.deepEqual(await zombie.write(batch(4, 105, 106, [{}])), { status: 'fenced' });
    assert.deepEqual(await zombie.restore(task, lease(4)), 'fenced', 'an older claim is refused too');
    assert.deepEqual(await owner.write(batch(5, 105, 106, [{}])), { status: 'written' });
    assert.equal(await counter(), 6);
  });

  it('accepts a batch that starts past the position (offset holes) and never moves it back', async () => {
    const sink = await open();
    await sink.restore(task, lease(6));
    await sink.write(batch(6, 110, 112, [{}, {}]));
    assert.deepEqual(await readGuardPositions(redis, counterKeys(key), 't'), new Map([[0, 112]]));
    assert.equal((await sink.write(batch(6, 106, 107, [{}]))).status, 'duplicate');
    assert.deepEqual(await readGuardPositions(redis, counterKeys(key), 't'), new Map([[0, 112]]));
    assert.equal(await counter(), 8);
  });

  it('applies keyed increments exactly once: a replayed batch adds nothing', async () => {
    // The connector handles any result type; the plan erases it, as here.
    const sink = redisWrite<{ word: string }>({
      command: 'HINCRBY',
      key: () => `${key}:hash`,
      field: (r) => r.word,
    }) as Sink<unknown>;
    const encode = encoderFor(sink);
    const connector = await open(sink);
    await connector.restore(task, lease(1));
    const words = ['a', 'b', 'a'].map((word) =>
      encode({ word }, { topic: 't', partition: 0, offset: 0, key: null, value: null, timestamp: 0 }),
    );
    assert.deepEqual(await connector.write(batch(1, 0, 3, words)), { status: 'written' });
    assert.deepEqual(await connector.write(batch(1, 0, 3, words)), { status: 'duplicate' });
    assert.deepEqual(await redis.hgetall(`${key}:hash`), { a: '2', b: '1' });
  });

  it('refuses a write Redis rejects for good (a key of the wrong type) instead of retrying it', async () => {
    await redis.set(`${key}:hash2`, 'a string');
    const sink = redisWrite<string>({
      command: 'HINCRBY',
      key: () => `${key}:hash2`,
      field: (w) => w,
      name: 'wrong',
    }) as Sink<unknown>;
    const connector = await open(sink);
    await connector.restore(task, lease(1));
    const outcome = await connector.write(
      batch(1, 0, 1, [
        encoderFor(sink)('x', { topic: 't', partition: 0, offset: 0, key: null, value: null, timestamp: 0 }),
      ]),
    );
    assert.equal(outcome.status, 'refused');
    await redis.del(`${key}:hash2`);
  });
});
