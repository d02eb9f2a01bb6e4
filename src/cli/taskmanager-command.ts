// `sluice taskmanager --id TM-07 --jobmanager http://host:8081 [--bootstrap-servers ...] [--redis ...]`:
// one TaskManager process. The JobManager starts these itself for local runs; on other hosts a user
// (or systemd) starts them, with the Kafka and Redis addresses as that host sees them.

import path from 'node:path';
import { Command } from 'commander';
import { EventLog } from '../logging/event-log.js';
import { createLogger } from '../logging/logger.js';
import { LoopWatchdog } from '../taskmanager/loop-watchdog.js';
import { TaskManager } from '../taskmanager/task-manager.js';
import { runAction } from './fail.js';
import { addSettingFlags, CONNECTION_SECURITY_SETTINGS, configFromCli } from './settings-options.js';

export function taskManagerCommand(): Command {
  return addSettingFlags(
    new Command('taskmanager')
      .description("run one TaskManager: a member of the job's consumer group")
      .option('--job <file>', "this host's copy of the job file (default: the file the JobManager names)"),
    [
      'taskManagerId',
      'jobManagerUrl',
      'kafkaBootstrap',
      'redisUrl',
      ...CONNECTION_SECURITY_SETTINGS,
      'jobManagerReconnectTimeoutMs',
      'taskManagerStallTimeoutMs',
      'logFormat',
      'logLevel',
      'kafkaDebug',
    ],
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags);
      const logger = createLogger(config.logging).child({ taskManagerId: config.runtime.taskManagerId });
      const watchdog = new LoopWatchdog({
        taskManagerId: config.runtime.taskManagerId,
        stallTimeoutMs: config.runtime.taskManagerStallTimeoutMs,
        logging: config.logging,
      });
      const taskManager = new TaskManager({
        taskManagerId: config.runtime.taskManagerId,
        jobManagerUrl: config.runtime.jobManagerUrl,
        jobFile: typeof flags.job === 'string' ? flags.job : undefined,
        events: new EventLog(logger),
        connections: config.runtime.taskManagerConnections,
        security: {
          kafka: config.kafka.security,
          redis: config.redis,
          cluster: config.runtime.clusterSecret,
        },
        kafkaDebug: config.kafka.debug,
        timings: { reconnectGraceMs: config.runtime.jobManagerReconnectTimeoutMs },
        stateDir: path.join(config.infra.stateDir, 'state'),
        watchdog,
        // Whatever a wedged consumer still holds open, the process is gone within 10 s.
        onFatal: (error) =>
          setTimeout(() => {
            // Not said yet when the TaskManager's own close is what hangs.
            if (process.exitCode === undefined)
              process.stderr.write(`\n✖ ${error.qualifiedCode}: ${error.message}\n`);
            process.exit(error.exitCode);
          }, 10_000).unref(),
      });
      const stop = () => taskManager.stop();
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      try {
        await taskManager.run();
      } finally {
        await watchdog.stop();
      }
      return 0;
    }),
  );
}
