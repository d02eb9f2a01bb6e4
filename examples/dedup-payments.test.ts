// The example's unit test: no Kafka, no Redis (`node --import sluice/register --test examples/dedup-payments.test.ts`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testJob } from 'sluice/testing';
import job from './dedup-payments.js';

type Payment = { id: string; account: string; amount: number; t: number };

test('a resent payment passes once while its id is remembered, and again once the TTL (event time) has passed', () => {
  const ttlMs = 60_000;
  const payments: Payment[] = [];
  for (let i = 0; i < 400; i++) payments.push({ id: `p${i}`, account: `a${i % 5}`, amount: i, t: i * 250 });
  const input: Payment[] = [];
  for (const [i, p] of payments.entries()) {
    input.push(p);
    if (i % 7 === 0) input.push({ ...p }); // resent at once
    if (i % 50 === 10) input.push({ ...p, t: p.t + 1_000 }); // resent a second later
  }
  // p0 again, 99.75 s later: by then the watermark (newest − 5 s) is past 0 + 60 s, so p0 is forgotten.
  input.push({ ...(payments[0] as Payment), t: 99_750 });

  // Offline: a payment passes unless the same id passed at t0 and the watermark it meets has not
  // passed t0 + ttl. The job keys by id through a repartition topic, so that watermark is the one
  // announced after the previous batch: the newest time of the batches before, minus 5 s, minus 1 ms.
  const batches: Payment[][] = [];
  for (let i = 0; i < input.length; i += 100) batches.push(input.slice(i, i + 100));
  const expected: string[] = [];
  const passedAt = new Map<string, number>();
  let newest = Number.NEGATIVE_INFINITY;
  for (const batch of batches) {
    const watermark = newest - 5_000 - 1;
    for (const p of batch) {
      const t0 = passedAt.get(p.id);
      if (t0 === undefined || watermark >= t0 + ttlMs) {
        expected.push(`${p.id}@${p.t}`);
        passedAt.set(p.id, p.t);
      }
    }
    for (const p of batch) newest = Math.max(newest, p.t);
  }

  const driver = testJob(job, { params: { ttlMs } });
  for (const batch of batches)
    driver.sendRecords(
      'payments',
      batch.map((value) => ({ value, key: value.id, timestamp: value.t })),
    );
  const got = driver.output('payments-unique').map((r) => {
    const p = r.json<Payment>();
    assert.equal(r.key, p.account);
    return `${p.id}@${p.t}`;
  });
  assert.deepEqual(got, expected);
  assert.equal(got.length, payments.length + 1);
  assert.equal(got.at(-1), 'p0@99750');
});
