// `sluice bench <name>` (npm run bench -- <name>): measurements that print figures. Benchmarks never
// assert speed; they report what they saw and the machine they saw it on.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { ensureBenchInput } from '../bench/bench-input.js';
import { FAILOVER_PEERS, type FailoverPeer, failoverBench } from '../bench/failover-bench.js';
import { footprintBench } from '../bench/footprint-bench.js';
import { latencyBench } from '../bench/latency-bench.js';
import type { BenchEnvironment } from '../bench/peers/peer.js';
import { THROUGHPUT_PEERS, type ThroughputPeer, throughputBench } from '../bench/throughput-bench.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { SluiceError } from '../errors/sluice-error.js';
import { infraDown, type ServiceName } from '../infra/infra.js';
import { KAFKA_VERSION } from '../infra/kafka/kafka-dist.js';
import { runJob } from '../jobmanager/job-run.js';
import { jobSpecFromConfig, newRunId } from '../jobmanager/job-spec.js';
import { LocalCluster } from '../jobmanager/local-cluster.js';
import { TaskManagerLauncher } from '../jobmanager/taskmanager-launcher.js';
import { EventLog } from '../logging/event-log.js';
import { createLogger } from '../logging/logger.js';
import { runAction } from './fail.js';
import { up } from './infra-command.js';
import { taskManagerCommandLine } from './job-session.js';
import { projectRoot } from './project-root.js';
import { JOB_SETTINGS } from './run-command.js';
import { addSettingFlags, configFromCli } from './settings-options.js';
import { renderTable } from './table.js';

export function benchCommand(): Command {
  const bench = new Command('bench').description('measurements that print figures (no pass/fail on speed)');
  addSettingFlags(
    bench
      .command('distribution')
      .description(
        'start N TaskManagers (default 20), time the partition distribution, compare with the broker, RSS',
      )
      .option('--rounds <n>', 'how many times to start the group', '3'),
    JOB_SETTINGS,
  ).action((flags: Record<string, unknown>) => runAction(() => distribution(flags)));
  addSettingFlags(
    bench
      .command('delivery')
      .description(
        'what exactly-once costs: the same job with the exactly-once and the at-least-once Redis sink',
      )
      .option('--latency-rate <n>', 'input rate of the latency pass, records/s', '20000')
      .option('--latency-messages <n>', 'records of the latency pass', '200000'),
    JOB_SETTINGS,
  ).action((flags: Record<string, unknown>) => runAction(() => delivery(flags)));
  addSettingFlags(
    bench
      .command('throughput')
      .description(
        'the same count-per-key job run by Sluice, Kafka Streams, a plain consumer and the raw read limit',
      )
      .option('--quick', 'a short form (CI): 50,000 records, one run, exactness only')
      .option('--records <n>', 'input records', '2000000')
      .option('--runs <n>', 'runs per peer (median, min, max)', '3')
      .option(
        '--peers <list>',
        `comma-separated, of ${THROUGHPUT_PEERS.join(', ')}`,
        THROUGHPUT_PEERS.join(','),
      ),
    ['kafkaBootstrap', 'redisUrl', 'stateDir', 'partitions'],
  ).action((flags: Record<string, unknown>) => runAction(() => throughput(flags)));
  addSettingFlags(
    bench
      .command('failover')
      .description(
        'kill -9 an ACTIVE worker, time until its partition progresses elsewhere (Sluice vs Kafka Streams)',
      )
      .option('--quick', 'a short form (CI): 2 kills, Sluice KIP-848 and Kafka Streams with a 6 s session')
      .option('--kills <n>', 'kills per peer', '20')
      .option('--peers <list>', `comma-separated, of ${FAILOVER_PEERS.join(', ')}`, FAILOVER_PEERS.join(',')),
    ['kafkaBootstrap', 'redisUrl', 'stateDir', 'partitions'],
  ).action((flags: Record<string, unknown>) => runAction(() => failover(flags)));
  addSettingFlags(
    bench
      .command('latency')
      .description('produce at a fixed rate, time to a visible exactly-once result (Sluice vs Kafka Streams)')
      .option('--quick', 'a short form (CI): 5 s at 5,000 records/s')
      .option('--rate <n>', 'records per second', '25000')
      .option('--seconds <n>', 'how long to measure', '30'),
    ['kafkaBootstrap', 'redisUrl', 'stateDir', 'partitions'],
  ).action((flags: Record<string, unknown>) => runAction(() => latency(flags)));
  addSettingFlags(
    bench
      .command('footprint')
      .description(
        'RSS of idle and active TaskManagers; assignment time with 20, 50, 100; throughput with 4, 16, 64 partitions',
      )
      .option('--scales <list>', 'TaskManager counts to time the assignment of', '20,50,100')
      .option('--partition-counts <list>', 'partition counts to measure throughput with', '4,16,64')
      .option('--records <n>', 'records per partition-count run', '1000000'),
    ['kafkaBootstrap', 'redisUrl', 'stateDir'],
  ).action((flags: Record<string, unknown>) => runAction(() => footprint(flags)));
  return bench;
}

const list = (value: unknown) =>
  String(value)
    .split(',')
    .map((x) => Number(x.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);

async function failover(flags: Record<string, unknown>): Promise<number> {
  const quick = flags.quick === true;
  const kills = quick ? 2 : Number(flags.kills);
  const peers = (quick ? 'sluice-consumer,kafka-streams-6s' : String(flags.peers))
    .split(',')
    .map((p) => p.trim())
    .filter((p): p is FailoverPeer => (FAILOVER_PEERS as readonly string[]).includes(p));
  return withBenchInfra(flags, async (config, env) => {
    const figures = await failoverBench(env, {
      partitions: config.job.partitions,
      kills,
      peers,
      kafkaStreamsSource: path.join(projectRoot(), 'bench', 'peers', 'kafka-streams'),
    });
    const ms = (x: number | undefined) => (x === undefined ? '-' : x.toLocaleString('en-US'));
    const header = `bench failover: kill -9 of an ACTIVE worker, ${kills} times per peer, ${config.job.partitions} partitions, input 2,000 records/s; ${machineLine()}`;
    process.stdout.write(
      `${header}\n${renderTable(
        ['PEER', 'TAKEOVER p50 ms', 'p99 ms', 'max ms', 'MEASURED', 'NO PROGRESS'],
        figures.map((f) => [
          f.peer,
          ms(f.p50),
          ms(f.p99),
          ms(f.max),
          String(f.takeoversMs.length),
          String(f.misses),
        ]),
      )}\n`,
    );
    process.stdout.write(`saved ${saveBenchJson('failover', { header, kills, figures })}\n`);
    return figures.every((f) => f.takeoversMs.length > 0 && f.misses === 0) ? 0 : 1;
  });
}

async function latency(flags: Record<string, unknown>): Promise<number> {
  const quick = flags.quick === true;
  const rate = quick ? 5000 : Number(flags.rate);
  const seconds = quick ? 5 : Number(flags.seconds);
  return withBenchInfra(flags, async (config, env) => {
    const figures = await latencyBench(env, {
      partitions: config.job.partitions,
      ratePerSecond: rate,
      seconds,
      kafkaStreamsSource: path.join(projectRoot(), 'bench', 'peers', 'kafka-streams'),
    });
    const header = `bench latency: ${rate} records/s for ${seconds} s, exactly once, produce → visible result; ${machineLine()}`;
    process.stdout.write(
      `${header}\n${renderTable(
        ['PEER', 'RECORDS', 'p50 ms', 'p99 ms', 'p99.9 ms'],
        figures.map((f) => [
          f.peer,
          String(f.records),
          f.p50.toFixed(1),
          f.p99.toFixed(1),
          f.p999.toFixed(1),
        ]),
      )}\n`,
    );
    process.stdout.write(`saved ${saveBenchJson('latency', { header, figures })}\n`);
    return figures.every((f) => f.records > 0) ? 0 : 1;
  });
}

async function footprint(flags: Record<string, unknown>): Promise<number> {
  return withBenchInfra(flags, async (_config, env) => {
    const figures = await footprintBench(env, {
      scales: list(flags.scales),
      partitionCounts: list(flags.partitionCounts),
      records: Number(flags.records),
    });
    const avg = (xs: number[]) => (xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0);
    const header = `bench footprint: ${machineLine()}`;
    process.stdout.write(
      `${header}\nRSS under ${figures.rss.rate} records/s: ACTIVE TaskManager ${avg(figures.rss.activeMiB)} MiB (${figures.rss.activeMiB.join(', ')}), ` +
        `IDLE ${avg(figures.rss.idleMiB)} MiB (min ${Math.min(...figures.rss.idleMiB)}, max ${Math.max(...figures.rss.idleMiB)})\n` +
        `${renderTable(
          ['TASKMANAGERS', 'ALL REGISTERED ms', 'ALL PARTITIONS ASSIGNED ms'],
          figures.assignment.map((a) => [
            String(a.taskManagers),
            String(a.registeredMs),
            String(a.distributedMs),
          ]),
        )}\n${renderTable(
          ['PARTITIONS', 'RECORDS/s (4 TaskManagers, exactly once)', 'EXACT'],
          figures.partitions.map((p) => [
            String(p.partitions),
            p.recordsPerSecond.toLocaleString('en-US'),
            p.exact ? 'yes' : 'NO',
          ]),
        )}\n`,
    );
    process.stdout.write(`saved ${saveBenchJson('footprint', { header, figures })}\n`);
    return figures.partitions.every((p) => p.exact) ? 0 : 1;
  });
}

async function withBenchInfra<T>(
  flags: Record<string, unknown>,
  body: (config: SluiceConfig, env: BenchEnvironment) => Promise<T>,
): Promise<T> {
  const config = configFromCli(flags, { logFormat: 'json', logLevel: 'silent', jobManagerPort: '0' });
  refuseSecuredCluster(config);
  const started: ServiceName[] = [];
  if (config.runtime.manageInfra)
    started.push(...(await up(config)).filter((s) => s.action === 'started').map((s) => s.name));
  try {
    return await body(config, {
      bootstrapServers: config.kafka.bootstrapServers,
      redisUrl: config.redis.url,
      workDir: path.join(config.infra.stateDir, 'bench'),
      cacheDir: config.infra.cacheDir,
      taskManagerCommand: taskManagerCommandLine(),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } finally {
    if (started.length > 0) await infraDown(config.infra, { services: started });
  }
}

/**
 * The peer benchmarks compare Sluice with Kafka Streams and hand-written consumers on the local,
 * unsecured infra: their worker processes take their addresses on the command line, where no
 * credential may go. `distribution` and `delivery` run Sluice alone and take any cluster.
 */
function refuseSecuredCluster(config: SluiceConfig): void {
  const { password, username, tlsCaLocation } = config.redis;
  if (config.kafka.security.protocol === 'PLAINTEXT' && !password && username === undefined && !tlsCaLocation)
    return;
  throw new SluiceError(
    'CONFIG_INVALID',
    'The throughput, failover, latency and footprint benchmarks run against an unsecured Kafka and Redis ' +
      '(`sluice infra up`), but Kafka security or Redis credentials are set. Fix: unset SLUICE_KAFKA_SECURITY_PROTOCOL ' +
      'and the SLUICE_KAFKA_SASL_* / SLUICE_KAFKA_SSL_*, SLUICE_REDIS_USERNAME / SLUICE_REDIS_PASSWORD* / SLUICE_REDIS_TLS_CA settings for the ' +
      'benchmark, or use `sluice bench distribution` or `sluice bench delivery`, which take any cluster.',
  );
}

function machineLine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Kafka ${KAFKA_VERSION}`;
}

async function throughput(flags: Record<string, unknown>): Promise<number> {
  const quick = flags.quick === true;
  const records = quick ? 50_000 : Number(flags.records);
  const runs = quick ? 1 : Number(flags.runs);
  const peers = String(flags.peers)
    .split(',')
    .map((p) => p.trim())
    .filter((p): p is ThroughputPeer => (THROUGHPUT_PEERS as readonly string[]).includes(p));
  return withBenchInfra(flags, async (config, env) => {
    const input = await ensureBenchInput({
      bootstrapServers: env.bootstrapServers,
      records,
      partitions: config.job.partitions,
      log: env.log,
    });
    const figures = await throughputBench(env, input, {
      runs,
      peers,
      kafkaStreamsSource: path.join(projectRoot(), 'bench', 'peers', 'kafka-streams'),
    });
    const sluice = figures.find((f) => f.peer === 'sluice-redis')?.recordsPerSecond.median;
    const rows = figures.map((f) => [
      f.peer,
      f.recordsPerSecond.median.toLocaleString('en-US'),
      `${f.recordsPerSecond.min.toLocaleString('en-US')} – ${f.recordsPerSecond.max.toLocaleString('en-US')}`,
      sluice && f.peer !== 'sluice-redis' ? `${(sluice / f.recordsPerSecond.median).toFixed(2)}×` : '-',
      f.exact ? 'yes' : 'NO',
    ]);
    const header = `bench throughput: ${records} records of ~100 bytes, ${input.keys} keys, ${config.job.partitions} partitions, ${runs} run(s) per peer; ${machineLine()}`;
    process.stdout.write(
      `${header}\n${renderTable(['PEER', 'RECORDS/s (median)', 'MIN – MAX', 'SLUICE-REDIS ÷ PEER', 'EXACT'], rows)}\n`,
    );
    const file = saveBenchJson('throughput', {
      header,
      records,
      runs,
      partitions: config.job.partitions,
      keys: input.keys,
      figures,
    });
    process.stdout.write(`saved ${file}\n`);
    // Exactness is the only pass/fail here: a peer that counts wrong fails the bench (the plain
    // consumer is at-least-once, so only a crash could make it wrong in a clean run).
    return figures.every((f) => f.exact) ? 0 : 1;
  });
}

function saveBenchJson(name: string, data: unknown): string {
  const dir = path.join(projectRoot(), 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(
    dir,
    `${name}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}.json`,
  );
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

async function delivery(flags: Record<string, unknown>): Promise<number> {
  const base = configFromCli(flags, {
    logFormat: 'json',
    logLevel: 'silent',
    jobManagerPort: '0',
    numMessages: '1000000',
  });
  const started: ServiceName[] = [];
  if (base.runtime.manageInfra)
    started.push(...(await up(base)).filter((s) => s.action === 'started').map((s) => s.name));
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

async function distribution(flags: Record<string, unknown>): Promise<number> {
  const config = configFromCli(flags, { logFormat: 'json', logLevel: 'silent', jobManagerPort: '0' });
  const rounds = Number(flags.rounds ?? 3);
  const started: ServiceName[] = [];
  if (config.runtime.manageInfra)
    started.push(...(await up(config)).filter((s) => s.action === 'started').map((s) => s.name));
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
      const job = { ...jobSpecFromConfig(config, runId), groupId: `sluice-bench-${runId}` };
      await admin.ensureTopic(job.topic, job.partitions);
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
          ours.length === group.members.length &&
          ours.every((t) => broker.get(t.id) === t.partitions.join(','));
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
        await admin.deleteTopic(job.topic).catch(() => {});
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
