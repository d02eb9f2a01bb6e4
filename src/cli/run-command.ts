// `sluice run` (what `npm start` calls): brings up Kafka and Redis if they are not running, waits
// for the broker as the seed describes, runs the job with a JobManager and its TaskManagers, prints
// the summary, and stops on exit whatever it started itself. Exits 0 only when counter == N.

import path from 'node:path';
import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { infraDown, type ServiceName } from '../infra/infra.js';
import { runJob } from '../jobmanager/job-run.js';
import { EventLog } from '../logging/event-log.js';
import { createLogForwarder } from '../logging/log-forwarder.js';
import { createLogger } from '../logging/logger.js';
import { runAction } from './fail.js';
import { print, up } from './infra-command.js';
import { renderJobSummary } from './job-summary.js';
import { LiveLine } from './live-line.js';
import { projectRoot } from './project-root.js';
import { addSettingFlags, configFromCli } from './settings-options.js';

export const JOB_SETTINGS: readonly SettingName[] = [
  'topic',
  'consumerGroup',
  'partitions',
  'numMessages',
  'taskManagers',
  'groupProtocol',
  'jobManagerPort',
  'progressEvery',
  'jobTimeoutMs',
  'checkpointIntervalMs',
  'produceRate',
  'sink',
  'delivery',
  'deadLetterTopic',
  'kafkaBootstrap',
  'redisUrl',
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

/** The TaskManager command the JobManager starts: this very CLI, so it runs the same build. */
export function taskManagerCommandLine(): string[] {
  return [process.execPath, path.join(projectRoot(), 'bin', 'sluice.js'), 'taskmanager'];
}

/** Runs the job to its verified end; shared by `run` (which manages infra) and `jobmanager`. */
export async function runMainJob(
  config: SluiceConfig,
  options: { manageInfra: boolean; keepInfra: boolean },
): Promise<number> {
  const startedHere: ServiceName[] = [];
  const stopInfra = async () => {
    if (!options.keepInfra && startedHere.length > 0) {
      await infraDown(config.infra, { services: startedHere.splice(0) });
    }
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (options.manageInfra) {
      const statuses = await up(config);
      startedHere.push(...statuses.filter((s) => s.action === 'started').map((s) => s.name));
      print(statuses, false);
    }
    const line = new LiveLine(process.stdout, { quiet: true });
    const output = config.logging.format === 'pretty' ? line.stream() : process.stdout;
    const events = new EventLog(createLogger(config.logging, output));
    try {
      await waitForKafka({
        bootstrapServers: config.kafka.bootstrapServers,
        timeoutMs: config.kafka.waitTimeoutMs,
        events,
      });
      const result = await runJob({
        config,
        events,
        forwardLine: createLogForwarder(config.logging, output),
        taskManagerCommand: taskManagerCommandLine(),
        runsDir: path.join(config.infra.stateDir, 'runs'),
        status: (text) => line.update(text),
        abortReason: () => (interrupted ? 'interrupted (Ctrl-C)' : undefined),
      });
      line.done();
      process.stdout.write(renderJobSummary(result));
      if (interrupted) return 130;
      return result.verified ? 0 : 1;
    } finally {
      line.done();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopInfra();
  }
}
