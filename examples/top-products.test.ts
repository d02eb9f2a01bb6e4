// The example's unit test: no Kafka, no Redis (`node --import sluice/register --test examples/top-products.test.ts`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testJob } from 'sluice/testing';
import job from './top-products.js';

test('the top 2 products of each category, emitted each time that list changes', () => {
  const driver = testJob(job, { params: { n: 2 }, partitions: 2 });
  const sale = (category: string, product: string, quantity: number) => ({ category, product, quantity });
  driver.send(
    'sales',
    sale('books', 'atlas', 1),
    sale('garden', 'hose', 2),
    sale('books', 'novel', 3),
    sale('books', 'poems', 1), // third: the top 2 is unchanged, nothing emitted
    sale('books', 'atlas', 1), // atlas 2: still second, but its total changed
    sale('books', 'poems', 2), // poems 3: ties with novel, ahead of atlas (ties by name)
    sale('garden', 'hose', 1),
  );
  const byCategory = (c: string) =>
    driver
      .output('top-products')
      .filter((r) => r.key === c)
      .map((r) =>
        r
          .json<{ top: { product: string; sold: number }[] }>()
          .top.map((e) => `${e.product}:${e.sold}`)
          .join(' '),
      );
  assert.deepEqual(byCategory('books'), ['atlas:1', 'novel:3 atlas:1', 'novel:3 atlas:2', 'novel:3 poems:3']);
  assert.deepEqual(byCategory('garden'), ['hose:2', 'hose:3']);
  assert.deepEqual(driver.state('product-totals', 'sold', 'books'), { atlas: 2, novel: 3, poems: 3 });
});
