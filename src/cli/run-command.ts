// `sluice run` (what `npm start` calls): brings up Kafka and Redis if they are not running, waits
// for the broker as the seed describes, makes sure the job's topic exists with its partitions, and
// stops on exit whatever it started itself, so no process is left behind.

import { Command } from 'commander';
import type { SettingName } from '../config/settings.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { infraDown, type ServiceName } from '../infra/infra.js';
import { EventLog } from '../logging/event-log.js';
import { createLogger } from '../logging/logger.js';
import { runAction } from './fail.js';
import { print, up } from './infra-command.js';
import { addSettingFlags, configFromCli } from './settings-options.js';

const RUN_SETTINGS: readonly SettingName[] = [
  'topic',
  'consumerGroup',
  'partitions',
  'numMessages',
  'kafkaBootstrap',
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
    RUN_SETTINGS,
  ).action((flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags, { logFormat: 'pretty' });
      return run(config, flags.keepInfra === true);
    }),
  );
}

async function run(config: SluiceConfig, keepInfra: boolean): Promise<number> {
  const events = new EventLog(createLogger(config.logging));
  const statuses = await up(config);
  const startedHere: ServiceName[] = statuses.filter((s) => s.action === 'started').map((s) => s.name);
  print(statuses, false);
  const stop = async () => {
    if (!keepInfra && startedHere.length > 0) {
      await infraDown(config.infra, { services: startedHere });
      process.stdout.write(`stopped what this run started: ${startedHere.join(', ')}\n`);
    }
  };
  const onSignal = () => {
    void stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await waitForKafka({
      bootstrapServers: config.kafka.bootstrapServers,
      timeoutMs: config.kafka.waitTimeoutMs,
      events,
    });
    const admin = KafkaAdmin.create({
      bootstrapServers: config.kafka.bootstrapServers,
      clientId: 'sluice-run',
    });
    try {
      const outcome = await admin.ensureTopic(config.job.topic, config.job.partitions);
      await waitForKafka({
        bootstrapServers: config.kafka.bootstrapServers,
        timeoutMs: config.kafka.waitTimeoutMs,
        topic: config.job.topic,
        events,
      });
      const topic = await admin.describeTopic(config.job.topic);
      process.stdout.write(
        `topic '${config.job.topic}' ${outcome === 'created' ? 'created' : 'found'} with ${topic.partitions.length} partitions ` +
          `(leaders: ${topic.partitions.map((p) => `${p.id}→broker ${p.leader}`).join(', ')})\n`,
      );
    } finally {
      admin.close();
    }
    process.stdout.write(
      'Infrastructure verified. The JobManager/TaskManager runtime that consumes this topic is the next piece of work ' +
        '(issue 4); nothing was processed.\n',
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop();
  }
}
