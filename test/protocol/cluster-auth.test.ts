// The handshake's proofs: only a holder of the secret can make one, for this connection's nonce, this
// side and this TaskManager id; anything else — another secret, a replayed proof, garbage — fails.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopback } from '../../src/config/cluster-security.js';
import { newNonce, proofOf, proves } from '../../src/protocol/cluster-auth.js';

describe('cluster handshake proofs', () => {
  const secret = 'f00d'.repeat(16);
  const nonce = newNonce();

  it('accepts the proof for this nonce, side and id only', () => {
    const proof = proofOf(secret, 'taskmanager', nonce, 'TM-01');
    assert.equal(proves(secret, 'taskmanager', nonce, 'TM-01', proof), true);
    assert.equal(proves('beef'.repeat(16), 'taskmanager', nonce, 'TM-01', proof), false, 'another secret');
    assert.equal(
      proves(secret, 'taskmanager', newNonce(), 'TM-01', proof),
      false,
      'replayed on another connection',
    );
    assert.equal(proves(secret, 'jobmanager', nonce, 'TM-01', proof), false, 'the other side');
    assert.equal(proves(secret, 'taskmanager', nonce, 'TM-02', proof), false, 'another id');
    assert.equal(proves(secret, 'taskmanager', nonce, 'TM-01', undefined), false, 'no proof');
    assert.equal(proves(secret, 'taskmanager', nonce, 'TM-01', 'zz'), false, 'not hex');
    assert.equal(proves(secret, 'taskmanager', nonce, 'TM-01', proof.slice(2)), false, 'truncated');
  });

  it('makes a new nonce for every connection', () => {
    assert.notEqual(newNonce(), newNonce());
    assert.match(newNonce(), /^[0-9a-f]{64}$/);
  });

  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST'])
      assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '10.0.0.1', '192.168.1.5', 'example.com', '::', '128.0.0.1'])
      assert.equal(isLoopback(host), false, host);
  });
});
