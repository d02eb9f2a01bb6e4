// `sluice jobmanager`: the JobManager as a long-running service on Kafka and Redis that are already
// running (it never starts or stops them). The job runs until the service is stopped; TaskManagers
// join from any host with `sluice taskmanager --jobmanager http://<this host>:8081`.

import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import { serveStreamingJob } from '../jobmanager/streaming-job.js';
import { runAction } from './fail.js';
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
  return addSettingFlags(
    new Command('jobmanager')
      .description(
        'run the JobManager as a service: the job runs on an existing topic until stopped, for TaskManagers from any host',
      )
      .option(
        '--new-run',
        'start a new run of the job even if one is recorded (its results start from zero)',
      ),
    SERVICE_SETTINGS,
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      // A service starts no TaskManagers of its own unless asked: they run on the worker hosts.
      const config = configFromCli(flags, { logFormat: 'pretty', taskManagers: '0' });
      const stopRequested = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      const code = await withJobSession(config, { manageInfra: false, keepInfra: true }, async (session) => {
        await serveStreamingJob({
          ...session.runOptions,
          stopRequested,
          newRun: flags.newRun === true,
          ...(session.runOptions.status ? { status: session.runOptions.status } : {}),
        });
        return 0;
      });
      // Stopping is how a service ends (systemd sends SIGTERM): that is a normal exit, not 130.
      return code === 130 ? 0 : code;
    }),
  );
}
