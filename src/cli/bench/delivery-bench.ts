// `sluice bench delivery`: what exactly-once costs — the seed's job run with the exactly-once Redis
// counter (with and without the id record) and the unguarded at-least-once one: throughput draining
// a backlog, and latency at a fixed input rate.

import os from 'node:os';
import path from 'node:path';
import { infraDown } from '../../infra/infra.js';
import { EventLog } from '../../logging/event-log.js';
import { createLogger } from '../../logging/logger.js';
import { runJob } from '../../runs/seed-run.js';
import { seedJobFile } from '../built-in-jobs.js';
import { taskManagerCommandLine } from '../job-session.js';
import { configFromCli } from '../settings-options.js';
import { renderTable } from '../table.js';
import { upForBench } from './bench-infra.js';

export async function delivery(flags: Record<string, unknown>): Promise<number> {
  const base = configFromCli(flags, {
    logFormat: 'json',
    logLevel: 'silent',
    jobManagerPort: '0',
    numMessages: '1000000',
  });
  const started = await upForBench(base);
  const variants = [
    { label: 'exactly-once + id record', delivery: 'exactly-once' as const, trackIds: true },
    { label: 'exactly-once', delivery: 'exactly-once' as const, trackIds: false },
    { label: 'at-least-once (unguarded)', delivery: 'at-least-once' as const, trackIds: false },
  ];
  const rows: string[][] = [];
  let allExact = true;
  try {
    for (const v of variants) {
      const job = { ...base.job, delivery: v.delivery, trackIds: v.trackIds, useKafkaSource: true };
      const events = new EventLog(createLogger({ format: 'json', level: 'silent' }));
      const common = {
        events,
        forwardLine: () => {},
        taskManagerCommand: taskManagerCommandLine(),
        runsDir: path.join(base.infra.stateDir, 'runs'),
        jobFile: seedJobFile(),
      };
      process.stderr.write(
        `bench delivery: ${v.label}: throughput pass (${job.numMessages} records, backlog)\n`,
      );
      const drain = await runJob({ ...common, config: { ...base, job }, backlog: true });
      const latencyRate = Number(flags.latencyRate ?? 20000);
      const latencyMessages = Number(flags.latencyMessages ?? 200000);
      process.stderr.write(
        `bench delivery: ${v.label}: latency pass (${latencyMessages} records at ${latencyRate}/s)\n`,
      );
      const timed = await runJob({
        ...common,
        config: {
          ...base,
          job: { ...job, numMessages: latencyMessages },
          runtime: { ...base.runtime, produceRate: latencyRate },
        },
      });
      allExact &&= v.delivery === 'at-least-once' || (drain.verified && timed.verified);
      const rate = drain.drainMs ? Math.round(drain.counter / (drain.drainMs / 1000)) : 0;
      rows.push([
        v.label,
        String(drain.counter),
        drain.drainMs === undefined ? '-' : (drain.drainMs / 1000).toFixed(2),
        rate.toLocaleString('en-US'),
        timed.latency ? timed.latency.p50.toFixed(1) : '-',
        timed.latency ? timed.latency.p99.toFixed(1) : '-',
        drain.verified && timed.verified ? 'yes' : 'NO',
      ]);
    }
  } finally {
    if (started.length > 0) await infraDown(base.infra, { services: started });
  }
  process.stdout.write(
    `bench delivery: ${base.runtime.taskManagers} TaskManagers, ${base.job.partitions} partitions, Kafka source, ` +
      `checkpoints every ${base.runtime.checkpointIntervalMs} ms; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`,
  );
  process.stdout.write(
    `${renderTable(['SINK', 'RECORDS', 'DRAIN s', 'RECORDS/s', 'LATENCY p50 ms', 'LATENCY p99 ms', 'EXACT (counter == N)'], rows)}\n`,
  );
  return allExact ? 0 : 1;
}
