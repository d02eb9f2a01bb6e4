// The reliability test's fault schedule: which faults, when (ms after the input starts), and a
// random number per fault to pick its victim, all from one seed so a run can be replayed exactly.

import { SluiceError } from '../errors/sluice-error.js';
import { seededRandom } from './seeded-random.js';

export const FAULT_KINDS = [
  'kill',
  'stop',
  'broker-restart',
  'redis-restart',
  'zombie',
  'broker-freeze',
  'redis-freeze',
  'redis-oom',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  /** Milliseconds after the input started. */
  readonly at: number;
  readonly kind: FaultKind;
  /** In [0, 1): picks the victim among the ACTIVE TaskManagers at that moment. */
  readonly pick: number;
}

export interface ScheduleOptions {
  seed: number;
  /** How long the input takes to write; faults fall between 10% and 85% of it. */
  durationMs: number;
  counts: Partial<Record<FaultKind, number>>;
  /** Least time between two faults, so each takeover can be measured on its own. */
  minSpacingMs?: number;
}

export function planFaults(options: ScheduleOptions): PlannedFault[] {
  const random = seededRandom(options.seed);
  const kinds: FaultKind[] = FAULT_KINDS.flatMap((kind) =>
    Array<FaultKind>(options.counts[kind] ?? 0).fill(kind),
  );
  // Fisher-Yates with the seeded generator: the order of kinds is part of the schedule.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as FaultKind, kinds[i] as FaultKind];
  }
  const start = options.durationMs * 0.1;
  const span = options.durationMs * 0.75;
  const slot = kinds.length > 0 ? span / kinds.length : 0;
  const spacing = options.minSpacingMs ?? 0;
  let previous = Number.NEGATIVE_INFINITY;
  const plan = kinds.map((kind, i) => {
    // One fault per slot, at a random point in its slot, never closer than the spacing.
    const at = Math.max(Math.round(start + slot * i + random() * slot * 0.6), Math.round(previous + spacing));
    previous = at;
    return { at, kind, pick: random() };
  });
  const last = plan.at(-1);
  if (last && last.at > start + span) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `${plan.length} faults ${spacing} ms apart do not fit in a run whose input takes ${Math.round(options.durationMs / 1000)} s ` +
        '(faults must fall while the input still flows, to see the partitions move on). ' +
        'Fix: more messages (--messages), a lower input rate (--rate), or fewer faults.',
      { details: { faults: plan.length, durationMs: options.durationMs } },
    );
  }
  return plan;
}

export function describeFault(fault: PlannedFault): string {
  return `t+${(fault.at / 1000).toFixed(1)}s ${fault.kind}`;
}
