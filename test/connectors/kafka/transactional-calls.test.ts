// A transactional producer makes one transactional call at a time and none once it is closing: a
// revocation that closed a task's producer while a checkpoint's commit was still running made
// librdkafka abort the whole TaskManager (`rd_kafka_txn_op_req0: rk_ops queue disabled`). The
// librdkafka producer is faked here (a unit test); it records the order of the calls it gets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Producer } from '../../../src/connectors/kafka/rdkafka.js';
import { TransactionalProducer } from '../../../src/connectors/kafka/transactional-producer.js';

type Callback = (err: null) => void;

/** The calls TransactionalProducer makes of librdkafka; each answers when the test says so. */
class FakeProducer {
  readonly log: string[] = [];
  readonly #waiting = new Map<string, Callback>();
  #connected = true;

  #hold(what: string, cb: Callback): void {
    if (!this.#connected) throw new Error(`${what} on a destroyed producer: librdkafka would abort`);
    this.log.push(`${what} started`);
    this.#waiting.set(what, cb);
  }
  /** librdkafka answers the call in progress. */
  answer(what: string): void {
    const cb = this.#waiting.get(what);
    assert.ok(cb, `${what} is not in progress`);
    this.#waiting.delete(what);
    this.log.push(`${what} done`);
    cb(null);
  }
  inProgress(what: string): boolean {
    return this.#waiting.has(what);
  }

  beginTransaction(cb: Callback): void {
    this.log.push('beginTransaction');
    cb(null);
  }
  commitTransaction(_timeout: number, cb: Callback): void {
    this.#hold('commitTransaction', cb);
  }
  abortTransaction(_timeout: number, cb: Callback): void {
    this.#hold('abortTransaction', cb);
  }
  isConnected(): boolean {
    return this.#connected;
  }
  disconnect(_timeout: number, cb: () => void): void {
    this.log.push('disconnect');
    this.#connected = false;
    cb();
  }
}

function session(fake: FakeProducer): TransactionalProducer {
  // The constructor is private: create() connects to a broker, which a unit test has none of.
  const Ctor = TransactionalProducer as unknown as new (p: Producer, id: string) => TransactionalProducer;
  return new Ctor(fake as unknown as Producer, 'sluice-test-tx');
}

/** Lets pending promise callbacks run (the fake answers synchronously when asked). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await settle();
  assert.ok(check(), 'the expected call never started');
}

describe('transactional calls', () => {
  it('closing while a commit runs waits for the calls asked for, then disconnects; none after', async () => {
    const fake = new FakeProducer();
    const tx = session(fake);
    await tx.begin();
    const committed = tx.commit();
    await until(() => fake.inProgress('commitTransaction'));
    // A revocation hands the task over meanwhile: abort what is open, then close.
    const aborted = tx.abort();
    const closed = tx.close();
    await settle();
    assert.ok(!fake.log.includes('disconnect'), 'disconnected while the commit was in progress');
    fake.answer('commitTransaction');
    await committed;
    await aborted;
    await closed;
    await assert.rejects(tx.begin(), /refused: the producer is closed/);
    assert.deepEqual(fake.log, [
      'beginTransaction',
      'commitTransaction started',
      'commitTransaction done',
      // The abort found the transaction committed: nothing to drop, no abortTransaction call.
      'disconnect',
    ]);
  });

  it('runs a second transactional call only after the first ended (no conflicting calls)', async () => {
    const fake = new FakeProducer();
    const tx = session(fake);
    await tx.begin();
    const committed = tx.commit();
    const begun = tx.begin();
    await until(() => fake.inProgress('commitTransaction'));
    await settle();
    assert.equal(fake.log.filter((l) => l === 'beginTransaction').length, 1, 'began during the commit');
    fake.answer('commitTransaction');
    await committed;
    await begun;
    assert.deepEqual(fake.log, [
      'beginTransaction',
      'commitTransaction started',
      'commitTransaction done',
      'beginTransaction',
    ]);
  });
});
