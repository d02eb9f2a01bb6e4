// The report of a stress or reliability run: one model, written as report.json for machines and
// rendered as report.html for people. Times inside are milliseconds since the group was told to
// start (faults also carry elapsedMs, since the input started, as their schedule does).

import os from 'node:os';
import { describeVerdict } from '../connectors/redis/id-verifier.js';
import type { FaultTakeover, OwnershipSegment, Series } from '../runs/run-analysis.js';
import type { JobResult } from '../runs/seed-run.js';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface RunReport {
  command: 'stress' | 'reliability';
  createdAt: string;
  machine: { cpus: number; model: string; memoryGiB: number; node: string };
  settings: Record<string, string | number | boolean>;
  verdict: 'PASS' | 'FAIL';
  checks: Check[];
  result: {
    runId: string;
    expected: number;
    counter: number;
    ids: string | undefined;
    distributionMs: number | undefined;
    produceMs: number | undefined;
    processingMs: number | undefined;
    throughput: number | undefined;
    latency: JobResult['latency'];
    checkpoints: { completed: number; aborted: Record<string, number> } | undefined;
    committedMatchesCheckpoint: boolean | undefined;
    deadLettered: number;
    restarts: string[];
    failures: string[];
    logDir: string;
  };
  taskManagers: {
    id: string;
    pid: number;
    status: string;
    partitions: number[];
    consumed: number;
    rssMiB: number;
  }[];
  faults: (Omit<FaultTakeover, 'at'> & { at: number })[];
  takeover: { p50: number; p99: number; max: number; count: number } | undefined;
  ownership: OwnershipSegment[];
  /** Every task's first applied batch: who made each partition progress, from when. */
  resumed: { at: number; taskManagerId: string; partition: number }[];
  throughputPerTaskManager: Series[];
  throughputOverall: Series;
  /** Resident memory of each TaskManager over time (MiB); absent in reports written before it. */
  memoryPerTaskManager?: Series[];
  /** Open file descriptors of each TaskManager over time. */
  fdsPerTaskManager?: Series[];
  /** End-to-end latency p99 of each TaskManager per 10 s window (ms). */
  latencyP99PerTaskManager?: Series[];
  partitionRecords: { partition: number; records: number }[];
  /** Milliseconds from the group's start (the charts' origin) to the first input record. */
  inputStartMs: number;
  durationMs: number;
}

export function machine(): RunReport['machine'] {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

export function resultSection(result: JobResult): RunReport['result'] {
  const committed = result.finalCheckpoint
    ? result.finalCheckpoint.tasks.every((t) => result.committedOffsets?.[t.partition] === t.position)
    : undefined;
  return {
    runId: result.runId,
    expected: result.expected,
    counter: result.counter,
    ids: result.ids ? describeVerdict(result.ids) : undefined,
    distributionMs: result.distributionMs,
    produceMs: result.produceMs,
    processingMs: result.processingMs,
    throughput: result.drainMs ? Math.round(result.counter / (result.drainMs / 1000)) : undefined,
    latency: result.latency,
    checkpoints: result.checkpoints
      ? {
          completed: result.checkpoints.completed,
          aborted: { ...result.checkpoints.aborted } as Record<string, number>,
        }
      : undefined,
    committedMatchesCheckpoint: committed,
    deadLettered: result.deadLettered,
    restarts: result.restarts.map((r) => r.id),
    failures: [...result.failures],
    logDir: result.logDir,
  };
}

/** Checks every run shares: the result is exact and offsets followed the last checkpoint. */
export function exactnessChecks(result: JobResult): Check[] {
  const checks: Check[] = [
    {
      name: 'counter == N',
      ok: result.counter === result.expected,
      detail: `${result.counter} ${result.counter === result.expected ? '==' : '!='} ${result.expected}`,
    },
  ];
  if (result.ids)
    checks.push({ name: 'every id exactly once', ok: result.ids.ok, detail: describeVerdict(result.ids) });
  if (result.finalCheckpoint) {
    const ok = result.finalCheckpoint.tasks.every(
      (t) => result.committedOffsets?.[t.partition] === t.position,
    );
    checks.push({
      name: 'committed offsets == last completed checkpoint',
      ok,
      detail: `checkpoint #${result.finalCheckpoint.id} at [${result.finalCheckpoint.tasks.map((t) => t.position).join(', ')}], committed [${result.finalCheckpoint.tasks.map((t) => result.committedOffsets?.[t.partition] ?? '?').join(', ')}]`,
    });
  } else
    checks.push({
      name: 'committed offsets == last completed checkpoint',
      ok: false,
      detail: 'no checkpoint completed after the run',
    });
  for (const failure of result.failures) checks.push({ name: 'run completed', ok: false, detail: failure });
  return checks;
}
