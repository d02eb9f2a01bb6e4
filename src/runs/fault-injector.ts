// Carries out a fault schedule against a running job: kill -9 or graceful stop of an ACTIVE
// TaskManager, a broker or Redis restart, a zombie (SIGSTOP until its partitions moved, then
// SIGCONT), the broker or Redis frozen (SIGSTOP for a while), Redis out of memory for a while. Records what was hit and when, for the takeover measurements that follow. A fault
// that needs an ACTIVE TaskManager waits for one (a bounded time); one it still cannot carry out
// is recorded as missed, and the run's verdict fails on it: a planned fault never just vanishes.

import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultKind, PlannedFault } from './fault-schedule.js';
import { ZOMBIE_NOTICE_MS } from './run-analysis.js';
import type { RunContext } from './seed-run.js';

export interface FaultRecord {
  readonly kind: FaultKind;
  readonly plannedAt: number;
  /** When it happened (epoch ms) and how long after the input started. */
  readonly at: number;
  readonly elapsedMs: number;
  /** The TaskManager hit (kill, stop, zombie). */
  readonly target?: string;
  /** The fault could not be carried out (no ACTIVE TaskManager to hit within the wait). */
  readonly missed?: boolean;
  /** Partitions whose progress the fault stopped. */
  readonly affected: readonly number[];
  readonly detail: string;
  /** How long the fault itself took (a restart, a zombie's freeze). */
  readonly durationMs: number;
}

export interface FaultEnvironment {
  /** Restarts Kafka or Redis, keeping their data (the project's own infra code). */
  restart: (service: 'kafka' | 'redis') => Promise<void>;
  /** Freezes Kafka or Redis (SIGSTOP) for `ms`, then resumes it. */
  freeze?: (service: 'kafka' | 'redis', ms: number) => Promise<void>;
  /** Redis refuses every write (out of memory) for `ms`, then has its memory back. */
  starveRedis?: (ms: number) => Promise<void>;
  /** How long each service fault lasts (defaults: broker frozen 20 s, Redis frozen 10 s, out of memory 10 s). */
  durations?: Partial<Record<'broker-freeze' | 'redis-freeze' | 'redis-oom', number>>;
  partitions: number;
  log?: (line: string) => void;
  /** How long a TaskManager fault waits for an ACTIVE TaskManager it has not hit (default 30 s). */
  targetWaitMs?: number;
}

const TARGET_WAIT_MS = 30_000;
/** How long a woken zombie is spared: the run's check waits as long for it to say what it lost. */
const ZOMBIE_REST_MS = ZOMBIE_NOTICE_MS;
const SERVICE_FAULT_MS = { 'broker-freeze': 20_000, 'redis-freeze': 10_000, 'redis-oom': 10_000 };

export async function injectFaults(
  ctx: RunContext,
  plan: readonly PlannedFault[],
  env: FaultEnvironment,
): Promise<FaultRecord[]> {
  const records: FaultRecord[] = [];
  /** Processes already hit: the registry may list a killed one as ACTIVE for a moment longer. */
  const hit = new Set<number>();
  /** A woken zombie, spared until it had time to learn it lost its partitions (the run checks it did). */
  const resting = new Map<number, number>();
  for (const fault of plan) {
    // A run that ended (its count reached, failed, or Ctrl-C) has no use for the faults still
    // planned: waiting for them kept an interrupted one-hour soak running for its whole schedule.
    while (ctx.elapsed() < fault.at && !ctx.done()) await sleep(20);
    if (ctx.done()) break;
    const record = await inject(ctx, fault, env, hit, resting);
    env.log?.(
      `💥 FAULT ${records.length + 1}/${plan.length} at t+${(record.elapsedMs / 1000).toFixed(1)}s: ${record.detail}`,
    );
    records.push(record);
  }
  return records;
}

async function inject(
  ctx: RunContext,
  fault: PlannedFault,
  env: FaultEnvironment,
  hit: Set<number>,
  resting: Map<number, number>,
): Promise<FaultRecord> {
  const all = Array.from({ length: env.partitions }, (_, p) => p);
  const onService = fault.kind !== 'kill' && fault.kind !== 'stop' && fault.kind !== 'zombie';
  // Only a TaskManager fault has a victim: one already killed or stopped (the registry may list it
  // ACTIVE a moment longer) is never picked again; a zombie woke up and may be hit again, once it
  // had its 10 s to find out what it lost.
  const victim = onService
    ? undefined
    : await pickVictim(ctx, fault, hit, resting, env.targetWaitMs ?? TARGET_WAIT_MS);
  if (victim && fault.kind !== 'zombie') hit.add(victim.pid);
  const at = Date.now();
  const base = { kind: fault.kind, plannedAt: fault.at, at, elapsedMs: ctx.elapsed() };
  switch (fault.kind) {
    case 'broker-restart':
    case 'redis-restart': {
      const service = fault.kind === 'broker-restart' ? 'kafka' : 'redis';
      await env.restart(service);
      return {
        ...base,
        affected: all,
        detail: `${service === 'kafka' ? 'broker' : 'Redis'} restarted`,
        durationMs: Date.now() - at,
      };
    }
    case 'broker-freeze':
    case 'redis-freeze': {
      const service = fault.kind === 'broker-freeze' ? 'kafka' : 'redis';
      const ms = env.durations?.[fault.kind] ?? SERVICE_FAULT_MS[fault.kind];
      if (!env.freeze) throw new Error(`fault ${fault.kind}: this run cannot freeze ${service}`);
      await env.freeze(service, ms);
      return {
        ...base,
        affected: all,
        detail: `${service === 'kafka' ? 'broker' : 'Redis'} frozen (SIGSTOP) for ${ms / 1000} s, then SIGCONT`,
        durationMs: Date.now() - at,
      };
    }
    case 'redis-oom': {
      const ms = env.durations?.['redis-oom'] ?? SERVICE_FAULT_MS['redis-oom'];
      if (!env.starveRedis) throw new Error('fault redis-oom: this run cannot change Redis settings');
      await env.starveRedis(ms);
      return {
        ...base,
        affected: all,
        detail: `Redis out of memory (maxmemory 1 byte, noeviction: writes refused) for ${ms / 1000} s`,
        durationMs: Date.now() - at,
      };
    }
    case 'kill':
    case 'stop':
    case 'zombie': {
      if (!victim)
        return {
          ...base,
          affected: [],
          missed: true,
          detail: `${fault.kind}: MISSED - no ACTIVE TaskManager to hit within ${Math.round((env.targetWaitMs ?? TARGET_WAIT_MS) / 1000)} s`,
          durationMs: 0,
        };
      const affected = [...victim.tasks];
      if (fault.kind === 'kill') {
        ctx.cluster.kill(victim.id, 'SIGKILL');
        return {
          ...base,
          target: victim.id,
          affected,
          detail: `kill -9 ${victim.id} (partitions ${affected.join(', ')})`,
          durationMs: 0,
        };
      }
      if (fault.kind === 'stop') {
        await ctx.cluster.stopTaskManager(victim.id);
        return {
          ...base,
          target: victim.id,
          affected,
          detail: `graceful stop of ${victim.id} (partitions ${affected.join(', ')})`,
          durationMs: Date.now() - at,
        };
      }
      ctx.cluster.kill(victim.id, 'SIGSTOP');
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const owners = ctx.cluster.registry.owners();
        if (affected.every((p) => (owners.get(p) ?? []).some((id) => id !== victim.id))) break;
        await sleep(100);
      }
      ctx.cluster.kill(victim.id, 'SIGCONT');
      resting.set(victim.pid, Date.now() + ZOMBIE_REST_MS);
      return {
        ...base,
        target: victim.id,
        affected,
        detail: `zombie: SIGSTOP ${victim.id} until partitions ${affected.join(', ')} moved, then SIGCONT`,
        durationMs: Date.now() - at,
      };
    }
  }
}

/** An ACTIVE TaskManager not hit yet, picked by the fault's number; waits for one up to `waitMs`. */
async function pickVictim(
  ctx: RunContext,
  fault: PlannedFault,
  hit: ReadonlySet<number>,
  resting: ReadonlyMap<number, number>,
  waitMs: number,
) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const now = Date.now();
    const active = ctx.cluster.registry
      .connected()
      .filter((t) => t.tasks.length > 0 && !hit.has(t.pid) && (resting.get(t.pid) ?? 0) <= now);
    const victim = active[Math.floor(fault.pick * active.length)];
    if (victim || Date.now() >= deadline) return victim;
    await sleep(Math.min(200, Math.max(1, deadline - Date.now())));
  }
}
