// `sluice jobmanager`: the JobManager alone, on infrastructure that is already running (it never
// starts or stops Kafka and Redis). It starts --taskmanagers local TaskManagers and runs the job.

import { Command } from 'commander';
import { runAction } from './fail.js';
import { JOB_SETTINGS, runMainJob } from './run-command.js';
import { addSettingFlags, configFromCli } from './settings-options.js';

export function jobManagerCommand(): Command {
  return addSettingFlags(
    new Command('jobmanager').description(
      'run the JobManager and its local TaskManagers on an already running Kafka and Redis',
    ),
    JOB_SETTINGS,
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags, { logFormat: 'pretty' });
      return runMainJob(config, { manageInfra: false, keepInfra: true });
    }),
  );
}
