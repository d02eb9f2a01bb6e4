// `sluice run` (what `npm start` calls): brings up Kafka and Redis if they are not running, waits
// for the broker as the seed describes, runs the job with a JobManager and its TaskManagers, prints
// the summary, and stops on exit whatever it started itself. Exits 0 only when the result is verified.

import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { runJob } from '../jobmanager/job-run.js';
import { runAction } from './fail.js';
import { withJobSession } from './job-session.js';
import { renderJobSummary } from './job-summary.js';
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
  return addSettingFlags(
    new Command('run')
      .description('run the main job on local defaults, starting Kafka and Redis if needed')
      .option('--keep-infra', 'leave Kafka and Redis running when they were started by this command'),
    JOB_SETTINGS,
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags, { logFormat: 'pretty' });
      return runMainJob(config, {
        manageInfra: config.runtime.manageInfra,
        keepInfra: flags.keepInfra === true,
      });
    }),
  );
}

/** Runs the job to its verified end; shared by `run` (which manages infra) and `jobmanager`. */
export async function runMainJob(
  config: SluiceConfig,
  options: { manageInfra: boolean; keepInfra: boolean },
): Promise<number> {
  return withJobSession(config, options, async (session) => {
    const result = await runJob(session.runOptions);
    session.line.done();
    process.stdout.write(renderJobSummary(result));
    return result.verified ? 0 : 1;
  });
}
