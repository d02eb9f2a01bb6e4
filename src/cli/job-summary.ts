// The end-of-run summary a person reads: who did what (the TaskManager table), how long it took,
// how fast, and the check that decides the exit status.

import { describeVerdict } from '../connectors/redis/id-verifier.js';
import type { StreamingResult } from '../jobmanager/streaming-job.js';
import type { JobResult } from '../runs/seed-run.js';
import { renderTable } from './table.js';

export function renderJobSummary(result: JobResult): string {
  const rows = result.snapshot.map((t) => [
    t.id,
    String(t.pid),
    t.status,
    t.tasks.length === 0 ? '-' : `[${t.tasks.join(', ')}]`,
    String(t.consumed),
    `${Math.round(t.rssBytes / 1024 / 1024)} MiB`,
  ]);
  const active = result.snapshot.filter((t) => t.status === 'ACTIVE').length;
  const idle = result.snapshot.filter((t) => t.status === 'IDLE').length;
  const lines = [
    '',
    `JOB SUMMARY (run ${result.runId}, ${result.mode === 'kafka' ? 'Kafka source' : 'Redis sequence source'}, sink ${result.sink})`,
    renderTable(['TASKMANAGER', 'PID', 'STATUS', 'PARTITIONS', 'MESSAGES', 'PEAK RSS'], rows),
    '',
    `Distribution:  ${active} ACTIVE, ${idle} IDLE of ${result.taskManagers} TaskManagers` +
      (result.distributionMs === undefined
        ? ''
        : `; all partitions assigned ${(result.distributionMs / 1000).toFixed(1)}s after the group started`),
    `Rebalancing:   ${result.rebalancesDuringRun.length === 0 ? 'none while the job ran' : `${result.rebalancesDuringRun.length} ownership changes while the job ran`}`,
  ];
  if (result.produceMs !== undefined)
    lines.push(
      `Input:         ${result.expected} messages written in ${(result.produceMs / 1000).toFixed(1)}s`,
    );
  if (result.processingMs !== undefined && result.processingMs > 0) {
    const rate = Math.round(result.counter / (result.processingMs / 1000));
    lines.push(
      `Processing:    ${result.counter} counted in ${(result.processingMs / 1000).toFixed(1)}s (${rate.toLocaleString('en-US')} msg/s)`,
    );
  }
  if (result.latency) {
    const ms = (x: number) => (x < 10 ? x.toFixed(1) : Math.round(x).toString());
    lines.push(
      `Latency:       produce → ${result.latency.visibleIn === 'kafka' ? 'visible to read_committed readers' : 'visible in Redis'} p50 ${ms(result.latency.p50)} ms, p99 ${ms(result.latency.p99)} ms, max ${ms(result.latency.max)} ms (${result.latency.count} records)`,
    );
  }
  if (result.deadLettered > 0) {
    lines.push(
      `Dead letters:  ${result.deadLettered} records the job could not process, in topic '${result.deadLetterTopic}'`,
    );
  }
  if (result.restarts.length > 0) {
    lines.push(
      `Restarts:      ${result.restarts.map((r) => r.id).join(', ')} died unexpectedly and were started again`,
    );
  }
  if (result.checkpoints) {
    const aborted = Object.entries(result.checkpoints.aborted)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ');
    lines.push(
      `Checkpoints:   ${result.checkpoints.completed} completed${aborted ? `, aborted: ${aborted}` : ''}` +
        (result.finalCheckpoint
          ? `; final #${result.finalCheckpoint.id} at [${result.finalCheckpoint.tasks.map((t) => t.position).join(', ')}]`
          : ''),
    );
  }
  if (result.committedOffsets && result.finalCheckpoint) {
    const match = result.finalCheckpoint.tasks.every(
      (t) => result.committedOffsets?.[t.partition] === t.position,
    );
    lines.push(`Check:         committed offsets == final checkpoint  ${match ? '✔' : '✘'}`);
  }
  if (result.ids) {
    lines.push(`Check:         ${result.ids.ok ? '✔' : '✘'} ${describeVerdict(result.ids)}`);
  }
  lines.push(
    `Check:         counter == N  ${result.verified ? '✔' : '✘'}  (${result.counter} ${result.counter === result.expected ? '==' : '!='} ${result.expected})`,
  );
  for (const failure of result.failures) lines.push(`Failure:       ${failure}`);
  lines.push(`Logs:          ${result.logDir}`);
  return `${lines.join('\n')}\n`;
}

/** What a job file's run did, per task and per TaskManager, and how it ended. */
export function renderStreamingSummary(result: StreamingResult): string {
  const taskRows = result.tasks.map((t) => [
    `${t.topic}-${t.partition}`,
    String(t.totals.consumed),
    String(t.totals.emitted),
    String(t.totals.deadLettered),
  ]);
  const tmRows = result.taskManagers.map((t) => [
    t.id,
    String(t.pid),
    t.status,
    String(t.consumed),
    String(t.emitted),
  ]);
  const dead = result.tasks.reduce((n, t) => n + t.totals.deadLettered, 0);
  const total = (key: 'consumed' | 'emitted') => result.tasks.reduce((n, t) => n + t.totals[key], 0);
  const cp = result.finalCheckpoint;
  const lines = [
    '',
    `JOB SUMMARY (run ${result.runId}${result.attached ? ', resumed' : ''}, stopped ${result.stoppedBy === 'idle' ? 'when idle' : 'on request'})`,
    renderTable(['TASK', 'RECORDS IN', 'RECORDS OUT', 'DEAD LETTERS'], taskRows),
    '',
    renderTable(['TASKMANAGER', 'PID', 'STATUS', 'RECORDS IN', 'RECORDS OUT'], tmRows),
    '',
    `Records:       ${total('consumed')} in, ${total('emitted')} out`,
    `Dead letters:  ${dead}${dead > 0 ? ` in topic '${result.deadLetterTopic}'` : ''}`,
    cp
      ? `Checkpoint:    final #${cp.id} committed at ${cp.tasks.map((t) => `${t.topic}-${t.partition}@${t.position}`).join(', ')}`
      : 'Checkpoint:    ✘ no final checkpoint completed: the next run resumes from the last one',
    `Logs:          ${result.logDir}`,
  ];
  return `${lines.join('\n')}\n`;
}
