// `sluice jobmanager`: the JobManager as a long-running service on Kafka and Redis that are already
// running (it never starts or stops them). The job runs until the service is stopped; TaskManagers
// join from any host with `sluice taskmanager --jobmanager http://<this host>:8081`.

import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import { prepareJob } from '../jobmanager/prepared-job.js';
import { serveStreamingJob } from '../jobmanager/streaming-job.js';
import { seedParameters } from '../runs/seed-run.js';
import { seedJobFile } from './built-in-jobs.js';
import { runAction } from './fail.js';
import { addJobOptions, groupOf, prepareJobFromCli } from './job-options.js';
import { withJobSession } from './job-session.js';
import { addSettingFlags, CONNECTION_SECURITY_SETTINGS, configFromCli } from './settings-options.js';

const SERVICE_SETTINGS: readonly SettingName[] = [
  'topic',
  'consumerGroup',
  'partitions',
  'taskManagers',
  'groupProtocol',
  'jobManagerPort',
  'jobManagerHost',
  'jobManagerReconnectTimeoutMs',
  'startFrom',
  'progressEvery',
  'checkpointIntervalMs',
  'checkpointCommit',
  'sink',
  'delivery',
  'deadLetterTopic',
  'kafkaBootstrap',
  'redisUrl',
  ...CONNECTION_SECURITY_SETTINGS,
  'kafkaWaitTimeoutMs',
  'stateDir',
  'logFormat',
  'logLevel',
];

export function jobManagerCommand(): Command {
  return addJobOptions(
    addSettingFlags(
      new Command('jobmanager')
        .description(
          "run the JobManager as a service: a job (--job, or the seed's) runs until stopped, for TaskManagers from any host",
        )
        .option(
          '--job <file>',
          "the job file to run (default: the seed's job, with its settings as parameters)",
        )
        .option(
          '--new-run',
          'start a new run of the job even if one is recorded (its results start from zero)',
        ),
      SERVICE_SETTINGS,
    ),
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      // A service starts no TaskManagers of its own unless asked: they run on the worker hosts.
      const config = configFromCli(flags, { logFormat: 'pretty', taskManagers: '0' });
      const seed = typeof flags.job !== 'string';
      const job = seed
        ? await prepareJob(seedJobFile(), seedParameters(config))
        : await prepareJobFromCli(String(flags.job), flags);
      return withJobSession(
        config,
        { manageInfra: false, keepInfra: true, streaming: true },
        async (session) => {
          await serveStreamingJob({
            ...session.runOptions,
            job,
            groupId: seed ? config.job.consumerGroup : groupOf(config, job),
            // The seed's job makes its own topic, as `npm start` does, wherever the cluster is.
            ...(seed ? { createTopics: true } : {}),
            stopRequested: session.stopRequested,
            newRun: flags.newRun === true,
            service: true,
          });
          // Stopping is how a service ends (systemd sends SIGTERM): a normal exit.
          return 0;
        },
      );
    }),
  );
}
