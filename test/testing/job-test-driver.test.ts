import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import countPerKey from '../../jobs/count-per-key.js';
import { json } from '../../src/api/deserializers.js';
import { defineJob } from '../../src/api/job-definition.js';
import { defineSink, kafkaSink, redisCounter, redisWrite } from '../../src/api/sinks.js';
import { testJob } from '../../src/testing/job-test-driver.js';

const Order = z.object({ id: z.number(), customer: z.string(), amount: z.number() });

const job = defineJob({
  name: 'orders',
  parameters: z.object({ min: z.number().default(10) }),
  build(j, p) {
    const big = j.fromKafka('orders', json(Order)).filter((o) => o.amount >= p.min);
    big.sinkTo(kafkaSink({ topic: 'big-orders', key: (o) => o.customer }));
    big.sinkTo(
      redisWrite({ command: 'HINCRBY', key: () => 'spend', field: (o) => o.customer, by: (o) => o.amount }),
    );
    big.sinkTo(redisCounter({ key: 'big', idOf: (o) => o.id }));
    big.map((o) => o.id).sinkTo(defineSink<number>({ name: 'ids', write() {} }));
  },
});

describe('JobTestDriver', () => {
  it("runs the job's plan in-process and shows what each sink got", () => {
    const driver = testJob(job, { params: { min: 50 } });
    driver.send('orders', { id: 1, customer: 'ann', amount: 70 }, { id: 2, customer: 'bob', amount: 20 });
    driver.sendRecords('orders', [
      { value: { id: 3, customer: 'ann', amount: 55 }, key: 'k' },
      { value: 'garbage' },
    ]);
    assert.deepEqual(
      driver.output('big-orders').map((r) => [r.key, r.json<{ id: number }>().id]),
      [
        ['ann', 1],
        ['ann', 3],
      ],
    );
    assert.deepEqual(driver.received('ids'), [1, 3]);
    assert.deepEqual(driver.redisHash('spend'), { ann: '125' });
    assert.equal(driver.redisGet('big'), '2');
    assert.deepEqual(
      driver.deadLetters().map((d) => [d.offset, d.code]),
      [[3, 'RECORD_NOT_JSON']],
    );
  });

  it("gives a combined record the timestamp its combine function chose (the benchmark's count deltas: the newest input's)", () => {
    const driver = testJob(countPerKey, { params: { topic: 'in', sink: 'kafka:deltas' } });
    const record = (id: number, key: string, timestamp: number) => ({
      value: { id, key, payload: 'x' },
      timestamp,
    });
    driver.sendRecords('in', [
      record(1, 'a', 1000),
      record(2, 'b', 1500),
      record(3, 'a', 3000),
      record(4, 'a', 2000),
    ]);
    driver.sendRecords('in', [record(5, 'b', 4000)]);
    assert.deepEqual(
      driver.output('deltas').map((r) => [r.key, r.value, r.timestamp]),
      [
        ['a', '3', 3000],
        ['b', '1', 1500],
        ['b', '1', 4000],
      ],
    );
    // Without a combine function, a record carries no timestamp of its own (produce time).
    const plain = testJob(job);
    plain.send('orders', { id: 1, customer: 'ann', amount: 70 });
    assert.deepEqual(
      plain.output('big-orders').map((r) => r.timestamp),
      [undefined],
    );
  });

  it('refuses a topic the job does not read, and an unknown sink', () => {
    const driver = testJob(job);
    assert.throws(() => driver.send('nope', {}), /reads no topic 'nope'; it reads orders/);
    assert.throws(() => driver.received('x'), /has no sink 'x'/);
  });

  it("validates the parameters through the job's schema", () => {
    assert.throws(() => testJob(job, { params: { min: 'many' } }), { name: 'ZodError' });
  });

  it("sends a record whose result a sink's serializer refuses to the dead letters, with nothing of it kept", () => {
    const strict = defineJob({
      name: 'strict-serializer',
      build(j) {
        const orders = j.fromKafka('orders', json(Order));
        orders.map((o) => o.id).sinkTo(defineSink<number>({ name: 'ids', write() {} }));
        orders.sinkTo(
          kafkaSink({
            topic: 'out',
            value: (o) => {
              if (o.amount < 0) throw new Error(`negative amount in order ${o.id}`);
              return JSON.stringify(o);
            },
          }),
        );
      },
    });
    const driver = testJob(strict);
    driver.send('orders', { id: 1, customer: 'a', amount: 5 }, { id: 2, customer: 'b', amount: -1 });
    assert.deepEqual(driver.received('ids'), [1], 'the other branch dropped order 2 as well');
    assert.deepEqual(
      driver.output('out').map((r) => r.json<{ id: number }>().id),
      [1],
    );
    assert.deepEqual(
      driver.deadLetters().map((d) => [d.offset, d.code, d.message]),
      [[1, 'RECORD_PROCESSING_FAILED', 'negative amount in order 2']],
    );
  });
});
