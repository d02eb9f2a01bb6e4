// `sluice stress` (scripts/run-stress-test.sh): the seed's stress test. Brings everything up, runs
// SIMULATOR_NUM_MESSAGES (default 1,000,000) through the group, checks the seed's "Monitor" list
// (ACTIVE/IDLE split, one partition each, flow on every partition, even spread, exact counter, no
// rebalancing) and writes reports/stress-<time>/report.{json,html}.

import path from 'node:path';
import { Command } from 'commander';
import { writeReport } from '../reports/report-files.js';
import { instrumentedRun } from '../runs/instrumented-run.js';
import { buildRunReport, stressChecks } from '../runs/run-report-builder.js';
import { seedJobFile } from './built-in-jobs.js';
import { runAction } from './fail.js';
import { withJobSession } from './job-session.js';
import { projectRoot } from './project-root.js';
import { JOB_SETTINGS } from './run-command.js';
import { renderRunReport } from './run-report-summary.js';
import { addSettingFlags, configFromCli } from './settings-options.js';

export function stressCommand(): Command {
  return addSettingFlags(
    new Command('stress')
      .description(
        "the seed's stress test: N messages through the group, the load distribution checked, a report",
      )
      .option('--reports-dir <dir>', 'where reports go', path.join(projectRoot(), 'reports')),
    JOB_SETTINGS,
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags, { logFormat: 'pretty', numMessages: '1000000' });
      return withJobSession(
        config,
        { manageInfra: config.runtime.manageInfra, keepInfra: false },
        async (session) => {
          const run = await instrumentedRun({
            ...session.runOptions,
            jobFile: seedJobFile(),
            plan: [],
            faultEnvironment: { restart: session.restart, partitions: config.job.partitions },
          });
          session.line.done();
          const report = buildRunReport('stress', run, config, stressChecks(run, config));
          const files = writeReport(report, String(flags.reportsDir));
          process.stdout.write(renderRunReport(report, files));
          return report.verdict === 'PASS' ? 0 : 1;
        },
      );
    }),
  );
}
