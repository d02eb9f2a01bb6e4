// `sluice bench distribution`: starts N TaskManagers (20 by default) a few times, times their
// registration and the partition distribution, compares the JobManager's registry with the broker's
// group description, and reads the memory of ACTIVE and IDLE TaskManagers.

import os from 'node:os';
import path from 'node:path';
import { KafkaAdmin } from '../../connectors/kafka/admin.js';
import { infraDown } from '../../infra/infra.js';
import { buildJobSpec, newRunId } from '../../jobmanager/job-spec.js';
import { LocalCluster } from '../../jobmanager/local-cluster.js';
import { prepareJob } from '../../jobmanager/prepared-job.js';
import { TaskManagerLauncher } from '../../jobmanager/taskmanager-launcher.js';
import { EventLog } from '../../logging/event-log.js';
import { createLogger } from '../../logging/logger.js';
import { seedParameters } from '../../runs/seed-run.js';
import { seedJobFile } from '../built-in-jobs.js';
import { taskManagerCommandLine } from '../job-session.js';
import { configFromCli } from '../settings-options.js';
import { renderTable } from '../table.js';
import { upForBench } from './bench-infra.js';

export async function distribution(flags: Record<string, unknown>): Promise<number> {
  const config = configFromCli(flags, { logFormat: 'json', logLevel: 'silent', jobManagerPort: '0' });
  const rounds = Number(flags.rounds ?? 3);
  const started = await upForBench(config);
  const prepared = await prepareJob(seedJobFile(), seedParameters(config));
  const events = new EventLog(createLogger({ format: 'json', level: 'silent' }));
  const admin = KafkaAdmin.create({
    bootstrapServers: config.kafka.bootstrapServers,
    security: config.kafka.security,
    clientId: 'sluice-bench',
  });
  const rows: string[][] = [];
  let agreeAll = true;
  try {
    for (let round = 1; round <= rounds; round++) {
      const runId = newRunId();
      const { topic, partitions } = config.job;
      const job = buildJobSpec(config, {
        ...prepared,
        runId,
        groupId: `sluice-bench-${runId}`,
        deadLetterTopic: config.job.deadLetterTopic,
        sources: [{ topic, partitions, startPositions: Array.from({ length: partitions }, () => 0) }],
      });
      await admin.ensureTopic(topic, partitions);
      const cluster = new LocalCluster({
        job,
        security: { kafka: config.kafka.security, redis: config.redis },
        jobManagerPort: 0,
        taskManagerCommand: taskManagerCommandLine(),
        logDir: path.join(config.infra.stateDir, 'runs', runId),
        events,
        forwardLine: () => {},
      });
      try {
        await cluster.start();
        const ids = TaskManagerLauncher.ids(config.runtime.taskManagers);
        const launchedAt = Date.now();
        cluster.launch(ids);
        await cluster.waitForRegistered(ids, 120_000);
        const registeredMs = Date.now() - launchedAt;
        const groupStart = Date.now();
        cluster.jobManager.startGroup();
        const snapshot = await cluster.waitForDistribution(120_000, ids.length);
        const distributedMs = Date.now() - groupStart;
        // Let heartbeats report settled memory, then compare our registry with the broker's view.
        await new Promise((r) => setTimeout(r, 2500));
        const group = await admin.describeGroup(job.groupId);
        const broker = new Map(
          group.members.map((m) => [
            m.clientId.replace(/^sluice-/, ''),
            m.partitions.map((p) => p.partition).join(','),
          ]),
        );
        const ours = cluster.registry.connected();
        const agree =
          ours.length === group.members.length && ours.every((t) => broker.get(t.id) === t.tasks.join(','));
        agreeAll &&= agree;
        const rss = (status: string) =>
          ours.filter((t) => t.status === status).map((t) => t.rssBytes / 1024 / 1024);
        const avg = (xs: number[]) =>
          xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(0) : '-';
        rows.push([
          String(round),
          String(ids.length),
          `${registeredMs}`,
          `${distributedMs}`,
          `${snapshot.filter((t) => t.status === 'ACTIVE').length}/${snapshot.filter((t) => t.status === 'IDLE').length}`,
          `${group.members.length} (${group.members.filter((m) => m.partitions.length > 0).length} with partitions)`,
          agree ? 'yes' : 'NO',
          avg(rss('ACTIVE')),
          avg(rss('IDLE')),
        ]);
      } finally {
        await cluster.shutdown();
        await admin.deleteTopic(topic).catch(() => {});
      }
    }
  } finally {
    admin.close();
    if (started.length > 0) await infraDown(config.infra, { services: started });
  }
  process.stdout.write(
    `bench distribution: ${config.runtime.taskManagers} TaskManagers, ${config.job.partitions} partitions, ` +
      `${config.runtime.groupProtocol} protocol; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`,
  );
  process.stdout.write(
    `${renderTable(
      [
        'ROUND',
        'TMs',
        'ALL REGISTERED ms',
        'DISTRIBUTED ms',
        'ACTIVE/IDLE',
        'BROKER MEMBERS',
        'REGISTRY = BROKER',
        'ACTIVE RSS MiB',
        'IDLE RSS MiB',
      ],
      rows,
    )}\n`,
  );
  return agreeAll ? 0 : 1;
}
