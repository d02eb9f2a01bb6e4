// `sluice reliability` (scripts/run-reliability-test.sh): the seed's reliability test, with real
// faults. A seeded schedule (printed, replayable with --seed) of kill -9s, graceful stops, a broker
// restart, a Redis restart and a zombie, while the input flows; then takeover times per fault and
// an independent verification: every id exactly once, counter == N, offsets == last checkpoint.

import path from 'node:path';
import { Command } from 'commander';
import { SluiceError } from '../errors/sluice-error.js';
import { freezeService, starveRedis } from '../infra/service-faults.js';
import { writeReport } from '../reports/report-files.js';
import { describeFault, type FaultKind, planFaults } from '../runs/fault-schedule.js';
import { instrumentedRun } from '../runs/instrumented-run.js';
import { measureTakeovers } from '../runs/run-analysis.js';
import { buildRunReport, faultChecks, reliabilityChecks } from '../runs/run-report-builder.js';
import { windowedRun } from '../runs/windowed-run.js';
import { benchEnvironment } from './bench/bench-infra.js';
import { seedJobFile } from './built-in-jobs.js';
import { runAction } from './fail.js';
import { withJobSession } from './job-session.js';
import { projectRoot } from './project-root.js';
import { JOB_SETTINGS } from './run-command.js';
import { renderRunReport } from './run-report-summary.js';
import { addSettingFlags, configFromCli } from './settings-options.js';

const count = (value: unknown, fallback: number): number => {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`expected a whole number of faults, got ${String(value)}`);
  return n;
};

const seconds = (flag: string, value: unknown): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 600)
    throw new SluiceError(
      'CONFIG_INVALID',
      `${flag} ${String(value)}: expected a number of seconds between 0 and 600. Fix: e.g. ${flag} 10`,
      { details: { flag, value: String(value) } },
    );
  return Math.round(n * 1000);
};

export function reliabilityCommand(): Command {
  return addSettingFlags(
    new Command('reliability')
      .description(
        "the seed's reliability test: faults while the input flows, takeover times, every id exactly once",
      )
      .option('--seed <n>', 'seed of the fault schedule (printed; pass it again to replay a run)')
      .option('--kills <n>', 'kill -9 of ACTIVE TaskManagers', '3')
      .option('--stops <n>', 'graceful stops (SIGTERM) of ACTIVE TaskManagers', '1')
      .option('--broker-restarts <n>', 'restarts of the Kafka broker', '1')
      .option('--redis-restarts <n>', 'restarts of Redis', '1')
      .option('--zombies <n>', 'SIGSTOP past the session timeout, then SIGCONT', '1')
      .option('--broker-freezes <n>', 'the broker frozen (SIGSTOP), then resumed', '0')
      .option('--redis-freezes <n>', 'Redis frozen (SIGSTOP), then resumed', '0')
      .option(
        '--redis-ooms <n>',
        'Redis out of memory (maxmemory, noeviction: writes refused) for a while',
        '0',
      )
      .option('--broker-freeze-seconds <s>', 'how long the broker stays frozen', '20')
      .option('--redis-freeze-seconds <s>', 'how long Redis stays frozen', '10')
      .option('--redis-oom-seconds <s>', 'how long Redis refuses writes', '10')
      .option('--no-restart', 'do not start killed TaskManagers again')
      .option(
        '--job <name>',
        "seed (the seed's job: a Redis counter, every id once) or windowed (keyed state, tumbling event-time windows into Kafka, checked against an offline count)",
        'seed',
      )
      .option('--keys <n>', 'windowed job: distinct keys of the input', '1000')
      .option('--window-ms <n>', 'windowed job: window size in event time (the record id, in ms)', '10000')
      .option('--reports-dir <dir>', 'where reports go', path.join(projectRoot(), 'reports')),
    JOB_SETTINGS,
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config0 = configFromCli(flags, {
        logFormat: 'pretty',
        // ~2 minutes here: 2,000,000 records at 20,000 records/s.
        numMessages: '2000000',
        produceRate: '20000',
      });
      const restart = flags.restart !== false;
      const config = { ...config0, runtime: { ...config0.runtime, restartTaskManagers: restart } };
      const seed = flags.seed === undefined ? Math.floor(Math.random() * 1_000_000) : count(flags.seed, 0);
      const counts: Partial<Record<FaultKind, number>> = {
        kill: count(flags.kills, 3),
        stop: count(flags.stops, 1),
        'broker-restart': count(flags.brokerRestarts, 1),
        'redis-restart': count(flags.redisRestarts, 1),
        zombie: count(flags.zombies, 1),
        'broker-freeze': count(flags.brokerFreezes, 0),
        'redis-freeze': count(flags.redisFreezes, 0),
        'redis-oom': count(flags.redisOoms, 0),
      };
      const durations = {
        'broker-freeze': seconds('--broker-freeze-seconds', flags.brokerFreezeSeconds ?? 20),
        'redis-freeze': seconds('--redis-freeze-seconds', flags.redisFreezeSeconds ?? 10),
        'redis-oom': seconds('--redis-oom-seconds', flags.redisOomSeconds ?? 10),
      };
      const rate = config.runtime.produceRate;
      const durationMs = rate > 0 ? (config.job.numMessages / rate) * 1000 : 60_000;
      const plan = planFaults({ seed, durationMs, counts, minSpacingMs: 4000 });
      process.stdout.write(
        `reliability: seed ${seed} (replay with --seed ${seed}); ${plan.length} faults over ~${Math.round(durationMs / 1000)}s:\n` +
          plan.map((f, i) => `  ${i + 1}. ${describeFault(f)}`).join('\n') +
          '\n',
      );
      const job = String(flags.job ?? 'seed');
      if (job !== 'seed' && job !== 'windowed')
        throw new SluiceError(
          'CONFIG_INVALID',
          `--job ${job}: expected seed or windowed. Fix: --job windowed`,
          {
            details: { job },
          },
        );
      return withJobSession(
        config,
        { manageInfra: config.runtime.manageInfra, keepInfra: false },
        async (session) => {
          const faultEnvironment = {
            restart: session.restart,
            freeze: (service: 'kafka' | 'redis', ms: number) => freezeService(config.infra, service, ms),
            starveRedis: async (ms: number) => {
              await starveRedis(config.redis, ms);
            },
            durations,
            partitions: config.job.partitions,
            log: (line: string) => session.line.print(`${line}\n`),
          };
          if (job === 'windowed') {
            const run = await windowedRun({
              config,
              env: benchEnvironment(config),
              plan,
              faultEnvironment,
              keys: count(flags.keys, 1000),
              windowMs: count(flags.windowMs, 10_000),
              status: (text) => session.line.update(text),
            });
            session.line.done();
            const takeovers = measureTakeovers(run.faults, run.resumed, run.timeline, run.samples);
            const checks = [
              ...run.windowChecks,
              ...run.result.failures.map((detail) => ({ name: 'run completed', ok: false, detail })),
              ...faultChecks(run, takeovers, restart),
            ];
            const report = buildRunReport('reliability', run, config, checks, {
              settings: {
                job: 'windowed',
                keys: count(flags.keys, 1000),
                windowMs: count(flags.windowMs, 10_000),
                seed,
                restartKilled: restart,
                ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [`faults.${k}`, v ?? 0])),
              },
              plan,
            });
            const files = writeReport(report, String(flags.reportsDir));
            process.stdout.write(renderRunReport(report, files));
            return report.verdict === 'PASS' ? 0 : 1;
          }
          const run = await instrumentedRun({
            ...session.runOptions,
            jobFile: seedJobFile(),
            plan,
            faultEnvironment,
          });
          session.line.done();
          const takeovers = measureTakeovers(run.faults, run.resumed, run.timeline, run.samples);
          const report = buildRunReport(
            'reliability',
            run,
            config,
            reliabilityChecks(run, takeovers, restart),
            {
              settings: {
                seed,
                restartKilled: restart,
                ...Object.fromEntries(Object.entries(counts).map(([k, v]) => [`faults.${k}`, v ?? 0])),
                ...Object.fromEntries(
                  Object.entries(durations)
                    .filter(([kind]) => (counts[kind as FaultKind] ?? 0) > 0)
                    .map(([kind, ms]) => [`faults.${kind}.seconds`, ms / 1000]),
                ),
              },
              plan,
            },
          );
          const files = writeReport(report, String(flags.reportsDir));
          process.stdout.write(renderRunReport(report, files));
          return report.verdict === 'PASS' ? 0 : 1;
        },
      );
    }),
  );
}
