// Proves "every id exactly once" from the counter sink's own records, independently of the job's
// counters: ids 1..N all set in the applied-ids bitmap, none outside, none applied twice. Names
// the missing and duplicated ids (the first few) when the proof fails.

import type { Redis } from 'ioredis';
import { counterKeys } from './counter-keys.js';

export interface IdVerdict {
  expected: number;
  /** Distinct ids applied. */
  distinct: number;
  missing: number[];
  /** How many ids are missing in all (missing lists the first few). */
  missingCount: number;
  duplicated: number[];
  duplicatedCount: number;
  /** Ids outside 1..N that were applied. */
  unexpectedCount: number;
  ok: boolean;
}

export async function verifyIds(
  redis: Redis,
  counterKey: string,
  expected: number,
  listAtMost = 20,
): Promise<IdVerdict> {
  const keys = counterKeys(counterKey);
  const distinct = await redis.bitcount(keys.appliedIds);
  const inRange =
    expected > 0 ? Number(await redis.call('BITCOUNT', keys.appliedIds, 1, expected, 'BIT')) : 0;
  const missing: number[] = [];
  // Id n is bit n. Past the bitmap's end every bit is clear, but BITPOS does not say so: on a
  // missing key it answers 0 whatever the range (listing "lost ids 0, 0, 0…", ids that do not
  // exist), and beyond the string it answers -1. So look inside the bitmap only, and name the ids
  // past its end directly.
  const bits = (await redis.strlen(keys.appliedIds)) * 8;
  let from = 1;
  while (missing.length < listAtMost && from <= expected) {
    if (from >= bits) {
      missing.push(from++);
      continue;
    }
    const pos = Number(
      await redis.call('BITPOS', keys.appliedIds, 0, from, Math.min(expected, bits - 1), 'BIT'),
    );
    if (pos < from) {
      from = bits; // no clear bit inside: what is missing lies past the end
      continue;
    }
    missing.push(pos);
    from = pos + 1;
  }
  const duplicatedCount = await redis.scard(keys.duplicateIds);
  const duplicated = (await redis.srandmember(keys.duplicateIds, listAtMost))
    .map(Number)
    .sort((a, b) => a - b);
  const missingCount = expected - inRange;
  const unexpectedCount = distinct - inRange;
  return {
    expected,
    distinct,
    missing,
    missingCount,
    duplicated,
    duplicatedCount,
    unexpectedCount,
    ok: missingCount === 0 && duplicatedCount === 0 && unexpectedCount === 0,
  };
}

export function describeVerdict(v: IdVerdict): string {
  if (v.ok) return `every id 1..${v.expected} applied exactly once: 0 lost, 0 duplicated`;
  const parts = [`${v.missingCount} lost`, `${v.duplicatedCount} duplicated`];
  if (v.missing.length)
    parts.push(`lost ids ${v.missing.join(', ')}${v.missingCount > v.missing.length ? ', …' : ''}`);
  if (v.duplicated.length)
    parts.push(
      `duplicated ids ${v.duplicated.join(', ')}${v.duplicatedCount > v.duplicated.length ? ', …' : ''}`,
    );
  if (v.unexpectedCount) parts.push(`${v.unexpectedCount} ids outside 1..${v.expected}`);
  return parts.join('; ');
}
