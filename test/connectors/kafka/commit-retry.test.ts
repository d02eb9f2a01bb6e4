// A transaction commit that timed out is in an undetermined state (librdkafka: it goes on in the
// background, the error is retriable): the commit is asked for again, not aborted; an error that
// requires an abort is not retried.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commitRetrying } from '../../../src/connectors/kafka/transactional-producer.js';
import { SluiceError } from '../../../src/errors/sluice-error.js';

const failure = (retriable: boolean, abortable: boolean) =>
  new SluiceError('KAFKA_PRODUCE_FAILED', 'Transactional commitTransaction failed: Local: Timed out.', {
    details: { retriable, abortable },
  });

describe('committing a transaction', () => {
  it('asks again after a retriable failure (a timed-out commit), and succeeds', async () => {
    let calls = 0;
    await commitRetrying(async () => {
      calls++;
      if (calls < 3) throw failure(true, false);
    });
    assert.equal(calls, 3);
  });

  it('gives up after the last attempt, with the error', async () => {
    let calls = 0;
    await assert.rejects(
      commitRetrying(async () => {
        calls++;
        throw failure(true, false);
      }, 3),
      /Timed out/,
    );
    assert.equal(calls, 3);
  });

  it('does not retry an error that requires an abort, nor one that is not retriable', async () => {
    for (const error of [failure(true, true), failure(false, false), new Error('boom')]) {
      let calls = 0;
      await assert.rejects(
        commitRetrying(async () => {
          calls++;
          throw error;
        }),
      );
      assert.equal(calls, 1);
    }
  });
});
