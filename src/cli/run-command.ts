// `sluice run [job file]`: brings up Kafka and Redis if they are not running, waits for the broker
// as the seed describes, and runs a job with a JobManager and its TaskManagers on this host.
//  - Without a file (what `npm start` calls): the seed's job, N messages written and counted, the
//    result verified; exit 0 only when it is.
//  - With a file: the user's job, streaming until Ctrl-C/SIGTERM or `--stop-when-idle`; a clean stop
//    (a last checkpoint commits) exits 0 and prints what each task did.
// Either way it stops on exit whatever it started itself.

import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { serveStreamingJob } from '../jobmanager/streaming-job.js';
import { runJob } from '../runs/seed-run.js';
import { seedJobFile } from './built-in-jobs.js';
import { runAction } from './fail.js';
import { addJobOptions, groupOf, prepareJobFromCli } from './job-options.js';
import { withJobSession } from './job-session.js';
import { renderJobSummary, renderStreamingSummary } from './job-summary.js';
import { addSettingFlags, CONNECTION_SECURITY_SETTINGS, configFromCli } from './settings-options.js';

export const JOB_SETTINGS: readonly SettingName[] = [
  'topic',
  'consumerGroup',
  'partitions',
  'numMessages',
  'taskManagers',
  'groupProtocol',
  'jobManagerPort',
  'jobManagerHost',
  'progressEvery',
  'jobTimeoutMs',
  'checkpointIntervalMs',
  'checkpointCommit',
  'produceRate',
  'sink',
  'delivery',
  'deadLetterTopic',
  'kafkaBootstrap',
  'redisUrl',
  ...CONNECTION_SECURITY_SETTINGS,
  'kafkaWaitTimeoutMs',
  'kafkaPort',
  'redisPort',
  'stateDir',
  'logFormat',
  'logLevel',
];

export function runCommand(): Command {
  return addJobOptions(
    addSettingFlags(
      new Command('run')
        .description(
          "run a job file (or, without one, the seed's job) on this host, starting Kafka and Redis if needed",
        )
        .argument('[job]', 'a job file (.ts or .js) whose default export is defineJob({...})')
        .option('--keep-infra', 'leave Kafka and Redis running when they were started by this command')
        .option(
          '--new-run',
          'start the job over even if a run of it is recorded (its results start from zero)',
        ),
      [...JOB_SETTINGS, 'stopWhenIdleMs', 'startFrom'],
    ),
  ).action((file: string | undefined, flags: Record<string, unknown>) =>
    runAction(async () => {
      if (file === undefined) {
        const config = configFromCli(flags, { logFormat: 'pretty' });
        return runMainJob(config, {
          manageInfra: config.runtime.manageInfra,
          keepInfra: flags.keepInfra === true,
        });
      }
      // A job file reads its topic from the start when it is new: what was produced to try it counts.
      const config = configFromCli(flags, { logFormat: 'pretty', startFrom: 'earliest' });
      const job = await prepareJobFromCli(file, flags);
      return withJobSession(
        config,
        { manageInfra: config.runtime.manageInfra, keepInfra: flags.keepInfra === true, streaming: true },
        async (session) => {
          const result = await serveStreamingJob({
            ...session.runOptions,
            job,
            groupId: groupOf(config, job),
            stopRequested: session.stopRequested,
            newRun: flags.newRun === true,
            service: false,
            ...(config.runtime.stopWhenIdleMs === undefined
              ? {}
              : { stopWhenIdleMs: config.runtime.stopWhenIdleMs }),
            onStarted: (url) => session.line.print(`JobManager at ${url} (dashboard, REST API, /metrics)\n`),
          });
          session.line.done();
          process.stdout.write(renderStreamingSummary(result));
          return result.finalCheckpoint ? 0 : 1;
        },
      );
    }),
  );
}

/** Runs the seed's job to its verified end. */
export async function runMainJob(
  config: SluiceConfig,
  options: { manageInfra: boolean; keepInfra: boolean },
): Promise<number> {
  return withJobSession(config, options, async (session) => {
    const result = await runJob({ ...session.runOptions, jobFile: seedJobFile() });
    session.line.done();
    process.stdout.write(renderJobSummary(result));
    return result.verified ? 0 : 1;
  });
}
