// The verifier that proves "every id exactly once" must be able to fail: fed a run with a planted
// duplicate and a planted gap, it says so and names them.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { redisCounter, type Sink } from '../../src/api/sinks.js';
import { counterKeys } from '../../src/connectors/redis/counter-keys.js';
import { describeVerdict, verifyIds } from '../../src/connectors/redis/id-verifier.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { RedisSinkConnector, resetCounter } from '../../src/connectors/redis/redis-sink.js';
import { encoderFor } from '../../src/plan/sink-encoders.js';
import { testEnv, uniqueName } from '../helpers/test-env.js';

describe('id verifier', () => {
  let redis: Redis;
  const key = `${uniqueName('verify')}:counter`;
  before(async () => {
    redis = createRedis({ url: testEnv.redisUrl });
    await redis.connect();
  });
  after(async () => {
    const k = counterKeys(key);
    await redis.del(k.counter, k.positions, k.epochs, k.appliedIds, k.duplicateIds);
    redis.disconnect();
  });

  async function applyIds(ids: number[][]): Promise<void> {
    await resetCounter(redis, key, [{ topic: 't', partition: 0, offset: 0 }]);
    const sink = redisCounter<{ id: number }>({ key, idOf: (r) => r.id }) as Sink<unknown>;
    const connector = new RedisSinkConnector(sink as never, 0, {
      redis: { url: testEnv.redisUrl },
      groupId: key,
      clientName: 'TM-V',
    });
    await connector.open();
    const task = { id: 't-0', topic: 't', partition: 0 };
    await connector.restore(task, { epoch: 1, position: -1, checkpointId: -1 });
    const encode = encoderFor(sink);
    let offset = 0;
    for (const ids1 of ids) {
      const values = ids1.map((id) =>
        encode({ id }, { topic: 't', partition: 0, offset, key: null, value: null, timestamp: 0 }),
      );
      await connector.write({
        task,
        epoch: 1,
        firstOffset: offset,
        nextOffset: offset + ids1.length,
        outputs: [{ sink: 0, values, sources: [] }],
      });
      offset += ids1.length;
    }
    await connector.close();
  }

  it('accepts a run where every id was applied once', async () => {
    await applyIds([
      [1, 2, 3],
      [4, 5],
    ]);
    const verdict = await verifyIds(redis, key, 5);
    assert.equal(verdict.ok, true);
    assert.equal(describeVerdict(verdict), 'every id 1..5 applied exactly once: 0 lost, 0 duplicated');
  });

  it('fails a run with a planted duplicate and a planted gap, naming both', async () => {
    // Id 3 twice (in two different batches, as a broken replay would), id 4 never.
    await applyIds([
      [1, 2, 3],
      [3, 5],
    ]);
    const verdict = await verifyIds(redis, key, 5);
    assert.equal(verdict.ok, false);
    assert.deepEqual(verdict.missing, [4]);
    assert.deepEqual(verdict.duplicated, [3]);
    assert.equal(describeVerdict(verdict), '1 lost; 1 duplicated; lost ids 4; duplicated ids 3');
  });

  it('counts ids outside 1..N', async () => {
    await applyIds([[1, 2, 9]]);
    const verdict = await verifyIds(redis, key, 3);
    assert.equal(verdict.ok, false);
    assert.equal(verdict.unexpectedCount, 1);
    assert.deepEqual(verdict.missing, [3]);
  });

  // Seen in a run whose JobManager never started: "2000000 lost; … lost ids 0, 0, 0, …" — BITPOS
  // on a missing bitmap answers 0. Only ids 1..N may ever be named.
  it('names the real missing ids when nothing was applied, or the bitmap ends before N', async () => {
    const k = counterKeys(key);
    await redis.del(k.appliedIds, k.duplicateIds);
    const none = await verifyIds(redis, key, 2_000_000, 5);
    assert.equal(none.missingCount, 2_000_000);
    assert.deepEqual(none.missing, [1, 2, 3, 4, 5]);
    assert.equal(describeVerdict(none), '2000000 lost; 0 duplicated; lost ids 1, 2, 3, 4, 5, …');

    // Ids 1..10 applied (a bitmap of 2 bytes), then nothing: the ones past its end are named.
    await applyIds([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    const short = await verifyIds(redis, key, 100, 4);
    assert.equal(short.missingCount, 90);
    assert.deepEqual(short.missing, [11, 12, 13, 14]);
    // A gap inside the bitmap and the ids past its end, in order.
    await applyIds([[1, 2, 4, 5, 6, 7, 8, 9, 10]]);
    assert.deepEqual((await verifyIds(redis, key, 100, 3)).missing, [3, 11, 12]);
  });
});
