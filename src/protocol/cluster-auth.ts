// The JobManager–TaskManager handshake when they share a secret: each proves it holds it without
// sending it. The JobManager opens every connection with a random challenge; the TaskManager's
// registration carries HMAC-SHA256(secret, challenge and its id) and a challenge of its own, which
// the JobManager's answer proves in turn. Nonces are per connection, so a recorded proof is worth
// nothing on another. (Chosen over mutual TLS: one file to deploy instead of a CA and a certificate
// per host; it authenticates both ends, it does not encrypt — docs/security.md says so.)

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type ProvingSide = 'taskmanager' | 'jobmanager';

export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

/** The side's proof for this connection: what only a holder of the secret can compute. */
export function proofOf(secret: string, side: ProvingSide, nonce: string, taskManagerId: string): string {
  return createHmac('sha256', secret)
    .update(`sluice-cluster-v1\n${side}\n${nonce}\n${taskManagerId}`)
    .digest('hex');
}

/** True when `proof` is the side's proof for this connection (compared in constant time). */
export function proves(
  secret: string,
  side: ProvingSide,
  nonce: string,
  taskManagerId: string,
  proof: string | undefined,
): boolean {
  if (proof === undefined) return false;
  const expected = Buffer.from(proofOf(secret, side, nonce, taskManagerId), 'hex');
  const given = Buffer.from(proof, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
