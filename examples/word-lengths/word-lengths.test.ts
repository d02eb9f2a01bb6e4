// The job's unit test: no Kafka, no Redis. Run it with `npm test`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testJob } from 'sluice/testing';
import job from './word-lengths.js';

test('every word of a line long enough, with its length; bad input to the dead letters', () => {
  const driver = testJob(job, { params: { minLength: 3 } });
  driver.send('lines', { id: 1, text: 'the quick fox is' }, 'not json');
  assert.deepEqual(
    driver.output('word-lengths').map((r) => [r.key, r.json()]),
    [
      ['the', { line: 1, position: 0, word: 'the', length: 3 }],
      ['quick', { line: 1, position: 1, word: 'quick', length: 5 }],
      ['fox', { line: 1, position: 2, word: 'fox', length: 3 }],
    ],
  );
  assert.equal(driver.deadLetters()[0]?.code, 'RECORD_NOT_JSON');
});
