// Builds the RunReport of a stress or reliability run from what the run recorded: the seed's
// "Monitor" list as checks (stress), fault takeovers (reliability), and the series the charts draw.

import type { SluiceConfig } from '../config/sluice-config.js';
import {
  type Check,
  exactnessChecks,
  machine,
  type RunReport,
  resultSection,
} from '../reports/run-report.js';
import type { FaultRecord } from './fault-injector.js';
import type { PlannedFault } from './fault-schedule.js';
import type { InstrumentedRun } from './instrumented-run.js';
import {
  type FaultTakeover,
  growthAfter,
  latencyP99PerTaskManager,
  measureTakeovers,
  memoryPerTaskManager,
  overallThroughput,
  ownershipSegments,
  percentile,
  perTaskManager,
  throughputPerTaskManager,
} from './run-analysis.js';
import type { RunSample, TaskManagerSample } from './run-recorder.js';

function relative<T extends { at: number }>(items: readonly T[], origin: number): T[] {
  return items.map((x) => ({ ...x, at: x.at - origin }));
}

export function partitionRecords(run: InstrumentedRun): { partition: number; records: number }[] {
  const final = run.result.finalCheckpoint;
  if (!final) return [];
  return final.tasks.map((t) => ({
    partition: t.partition,
    records: t.position - (run.result.startPositions[t.partition] ?? 0),
  }));
}

/** The seed's "Monitor TaskManager Load Distribution" list, as checks. */
export function stressChecks(run: InstrumentedRun, config: SluiceConfig): Check[] {
  const { result } = run;
  const partitions = config.job.partitions;
  const n = config.runtime.taskManagers;
  const expectedActive = Math.min(partitions, n);
  const active = result.snapshot.filter((t) => t.status === 'ACTIVE');
  const idle = result.snapshot.filter((t) => t.status === 'IDLE');
  const records = partitionRecords(run);
  const counts = records.map((r) => r.records);
  const mean = counts.length ? counts.reduce((a, b) => a + b, 0) / counts.length : 0;
  const spread = mean > 0 ? ((Math.max(...counts) - Math.min(...counts)) / mean) * 100 : 100;
  const checks: Check[] = [
    {
      name: `${expectedActive} ACTIVE TaskManagers`,
      ok: active.length === expectedActive,
      detail: `${active.map((t) => t.id).join(', ') || 'none'} (${active.length})`,
    },
    {
      name: `the other ${n - expectedActive} IDLE`,
      ok: idle.length === n - expectedActive,
      detail: `${idle.length} IDLE`,
    },
    n >= partitions
      ? {
          name: 'exactly 1 partition per ACTIVE TaskManager',
          ok: active.every((t) => t.tasks.length === 1),
          detail: active.map((t) => `${t.id}=[${t.tasks.join(',')}]`).join(' '),
        }
      : {
          name: 'partitions balanced over the TaskManagers',
          ok:
            Math.max(...active.map((t) => t.tasks.length)) - Math.min(...active.map((t) => t.tasks.length)) <=
            1,
          detail: active.map((t) => `${t.id}=[${t.tasks.join(',')}]`).join(' '),
        },
    {
      name: `message flow on all ${partitions} partitions`,
      ok: records.length === partitions && counts.every((c) => c > 0),
      detail: records.map((r) => `p${r.partition}: ${r.records}`).join(', ') || 'no final checkpoint',
    },
    {
      name: 'even distribution (spread ≤ 10%)',
      ok: spread <= 10,
      detail: `spread ${spread.toFixed(1)}% of the mean`,
    },
    {
      name: 'no rebalancing during the run',
      ok: result.rebalancesDuringRun.length === 0,
      detail:
        result.rebalancesDuringRun.length === 0
          ? 'none'
          : `${result.rebalancesDuringRun.length} ownership changes`,
    },
  ];
  return [...checks, ...exactnessChecks(result)];
}

/** A planned fault that could not be carried out fails the run: it must not vanish from the count. */
export function plannedFaultsCheck(faults: readonly FaultRecord[]): Check {
  const missed = faults.filter((f) => f.missed);
  return {
    name: 'every planned fault was carried out',
    ok: missed.length === 0,
    detail:
      missed.length === 0
        ? `${faults.length} of ${faults.length}`
        : `${missed.length} of ${faults.length} missed: ${missed.map((f) => `t+${(f.elapsedMs / 1000).toFixed(1)}s ${f.detail}`).join('; ')}`,
  };
}

export function reliabilityChecks(
  run: InstrumentedRun,
  takeovers: readonly FaultTakeover[],
  restartEnabled: boolean,
): Check[] {
  return [...exactnessChecks(run.result), ...faultChecks(run, takeovers, restartEnabled)];
}

/** What every reliability run checks of its faults, whatever the job: each carried out and got over. */
export function faultChecks(
  run: InstrumentedRun,
  takeovers: readonly FaultTakeover[],
  restartEnabled: boolean,
): Check[] {
  const checks: Check[] = [plannedFaultsCheck(takeovers)];
  const hit = takeovers.filter((f) => f.affected.length > 0);
  const unseen = hit.filter((f) => f.takeoverMs === undefined);
  checks.push({
    name: "every fault's partitions progressed again",
    ok: unseen.length === 0,
    detail:
      unseen.length === 0
        ? `${hit.length} of ${hit.length} faults`
        : `not seen after: ${unseen.map((f) => f.detail).join('; ')}`,
  });
  const stops = takeovers.filter((f) => f.kind === 'stop' && f.affected.length > 0);
  if (stops.length > 0) {
    const silent = stops.filter((f) => !f.handovers.some((h) => h.kind === 'revoked'));
    checks.push({
      name: 'graceful stops handed their partitions over (📤)',
      ok: silent.length === 0,
      detail:
        silent.length === 0
          ? `${stops.length} of ${stops.length}`
          : `no 📤 from ${silent.map((f) => f.target).join(', ')}`,
    });
  }
  const zombies = takeovers.filter((f) => f.kind === 'zombie' && f.target);
  if (zombies.length > 0) {
    const unaware = zombies.filter((f) => {
      const tm = run.taskManagers.find((t) => t.id === f.target);
      return !f.handovers.some((h) => h.kind === 'lost') && (tm?.fencedWrites ?? 0) === 0;
    });
    checks.push({
      name: 'zombies learned they lost their partitions (📉 or a refused write)',
      ok: unaware.length === 0,
      detail:
        zombies
          .map((f) => {
            const tm = run.taskManagers.find((t) => t.id === f.target);
            return `${f.target}: ${f.handovers.some((h) => h.kind === 'lost') ? '📉' : 'no 📉'}, ${tm?.fencedWrites ?? 0} late writes refused`;
          })
          .join('; ') || '-',
    });
  }
  checks.push(...soakChecks(run.samples, run.inputStartedAt));
  const kills = takeovers.filter((f) => f.kind === 'kill' && f.target).length;
  if (kills > 0 && restartEnabled) {
    checks.push({
      name: 'killed TaskManagers were started again',
      ok: run.result.restarts.length >= kills,
      detail: `${run.result.restarts.length} restarts for ${kills} kills`,
    });
  }
  return checks;
}

/** From the tenth minute of input on, a long run's processes must not grow. */
const SOAK_FROM_MS = 10 * 60_000;

/**
 * A run whose input lasted over 15 minutes is a soak: every TaskManager process that lived from
 * the tenth minute to the end kept its resident memory (within 25 %, a heap's breathing) and its
 * open file descriptors (within 10 %, + 8) — the median of its first minute against its last.
 */
export function soakChecks(samples: readonly RunSample[], inputStartedAt: number): Check[] {
  const end = samples.at(-1)?.at ?? 0;
  const from = inputStartedAt + SOAK_FROM_MS;
  if (end - inputStartedAt < 15 * 60_000) return [];
  const check = (
    name: string,
    read: (tm: TaskManagerSample) => number | undefined,
    unit: string,
    flat: (first: number, last: number) => boolean,
  ): Check => {
    const grown = growthAfter(samples, from, read);
    const bad = grown.filter((g) => !flat(g.first, g.last));
    const describe = (g: (typeof grown)[number]) =>
      `${g.id} (pid ${g.pid}) ${Math.round(g.first)} → ${Math.round(g.last)} ${unit}`;
    return {
      name,
      ok: grown.length > 0 && bad.length === 0,
      detail:
        grown.length === 0
          ? 'no TaskManager process lived from the tenth minute to the end'
          : bad.length > 0
            ? `grew: ${bad.map(describe).join('; ')}`
            : grown.map(describe).join('; '),
    };
  };
  return [
    check(
      'resident memory flat from the tenth minute (every process that lived to the end)',
      (tm) => (tm.rssBytes > 0 ? tm.rssBytes / 2 ** 20 : undefined),
      'MiB',
      (first, last) => last <= first * 1.25,
    ),
    check(
      'open file descriptors flat from the tenth minute',
      (tm) => tm.openFds,
      'fds',
      (first, last) => last <= first * 1.1 + 8,
    ),
  ];
}

export function buildRunReport(
  command: RunReport['command'],
  run: InstrumentedRun,
  config: SluiceConfig,
  checks: Check[],
  extra: { settings?: Record<string, string | number | boolean>; plan?: readonly PlannedFault[] } = {},
): RunReport {
  const origin = run.startedAt;
  const takeovers = measureTakeovers(run.faults, run.resumed, run.timeline, run.samples);
  const times = takeovers.map((f) => f.takeoverMs).filter((t): t is number => t !== undefined);
  const durationMs = Math.max(1, (run.samples.at(-1)?.at ?? run.endedAt) - origin);
  const peak = new Map<string, number>();
  for (const s of run.samples)
    for (const t of s.taskManagers) peak.set(t.id, Math.max(peak.get(t.id) ?? 0, t.rssBytes));
  return {
    command,
    createdAt: new Date().toISOString(),
    machine: machine(),
    settings: {
      messages: config.job.numMessages,
      taskManagers: config.runtime.taskManagers,
      partitions: config.job.partitions,
      groupProtocol: config.runtime.groupProtocol,
      source: config.job.useKafkaSource ? 'kafka' : 'redis-sequence',
      sink: config.job.sink.kind === 'kafka' ? `kafka:${config.job.sink.topic}` : 'redis-counter',
      inputRate: config.runtime.produceRate || 'unlimited',
      checkpointIntervalMs: config.runtime.checkpointIntervalMs,
      ...extra.settings,
    },
    verdict: checks.every((c) => c.ok) ? 'PASS' : 'FAIL',
    checks,
    result: resultSection(run.result),
    taskManagers: run.result.snapshot.map((t) => ({
      id: t.id,
      pid: t.pid,
      status: t.status,
      partitions: [...t.tasks],
      consumed: t.consumed,
      rssMiB: Math.round(Math.max(t.rssBytes, peak.get(t.id) ?? 0) / 2 ** 20),
    })),
    faults: takeovers.map((f) => ({ ...f, at: f.at - origin })),
    takeover: times.length
      ? {
          p50: percentile(times, 50) ?? 0,
          p99: percentile(times, 99) ?? 0,
          max: Math.max(...times),
          count: times.length,
        }
      : undefined,
    ownership: ownershipSegments(run.timeline, origin, origin + durationMs).map((s) => ({
      ...s,
      from: s.from - origin,
      to: s.to - origin,
    })),
    throughputPerTaskManager: throughputPerTaskManager(run.samples).map((s) => ({
      ...s,
      points: relative(s.points, origin),
    })),
    throughputOverall: (() => {
      const o = overallThroughput(run.samples);
      return { ...o, points: relative(o.points, origin) };
    })(),
    memoryPerTaskManager: memoryPerTaskManager(run.samples).map((s) => ({
      ...s,
      points: relative(s.points, origin),
    })),
    fdsPerTaskManager: perTaskManager(run.samples, (tm) => tm.openFds).map((s) => ({
      ...s,
      points: relative(s.points, origin),
    })),
    latencyP99PerTaskManager: latencyP99PerTaskManager(run.samples).map((s) => ({
      ...s,
      points: relative(s.points, origin),
    })),
    partitionRecords: partitionRecords(run),
    resumed: relative(
      run.resumed.map((r) => ({ at: r.at, taskManagerId: r.taskManagerId, partition: r.task })),
      origin,
    ),
    inputStartMs: run.inputStartedAt - origin,
    durationMs,
  };
}
