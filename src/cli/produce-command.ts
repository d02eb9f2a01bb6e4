// `sluice produce <topic> [--key-field f] < records.jsonl`: writes sample input, one JSON record a
// line, so a job can be tried with two commands. Every line is checked before anything is sent (a
// bad line stops the command naming its number: nothing half-written); the topic is created on the
// local cluster when missing; Kafka and Redis started here keep running for the job that follows.

import { Command } from 'commander';
import { KafkaAdmin } from '../connectors/kafka/admin.js';
import { KafkaProducer } from '../connectors/kafka/producer.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { SluiceError } from '../errors/sluice-error.js';
import { EventLog } from '../logging/event-log.js';
import { createLogger } from '../logging/logger.js';
import { runAction } from './fail.js';
import { print, up } from './infra-command.js';
import { addSettingFlags, CONNECTION_SECURITY_SETTINGS, configFromCli } from './settings-options.js';

export interface InputRecord {
  readonly key: string | null;
  readonly value: string;
}

/** The records of a JSON-lines text; throws INPUT_INVALID naming the first bad line. */
export function parseJsonLines(text: string, keyField: string | undefined): InputRecord[] {
  const records: InputRecord[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new SluiceError(
        'INPUT_INVALID',
        `Line ${i + 1} is not JSON (${error instanceof Error ? error.message : String(error)}): ${line.slice(0, 80)}. ` +
          'Fix: give one JSON value a line. Nothing was sent.',
      );
    }
    let key: string | null = null;
    if (keyField !== undefined) {
      const field =
        typeof value === 'object' && value !== null
          ? (value as Record<string, unknown>)[keyField]
          : undefined;
      if (field === undefined || field === null || typeof field === 'object') {
        throw new SluiceError(
          'INPUT_INVALID',
          `Line ${i + 1} has no field '${keyField}' to use as the key: ${line.slice(0, 80)}. ` +
            'Fix: add the field to every record, or leave out --key-field. Nothing was sent.',
        );
      }
      key = String(field);
    }
    records.push({ key, value: line });
  }
  return records;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new SluiceError(
      'INPUT_INVALID',
      'sluice produce reads its records from standard input. Fix: sluice produce <topic> < records.jsonl',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function produceCommand(): Command {
  return addSettingFlags(
    new Command('produce')
      .description('write JSON records (one a line, from standard input) to a topic: sample input for a job')
      .argument('<topic>', 'the topic to write to (created on the local cluster when missing)')
      .option('--key-field <field>', "use this field of each record as the record's key"),
    [
      'partitions',
      'kafkaBootstrap',
      ...CONNECTION_SECURITY_SETTINGS,
      'kafkaWaitTimeoutMs',
      'kafkaPort',
      'redisPort',
      'stateDir',
    ],
  ).action((topic: string, flags: Record<string, unknown>) =>
    runAction(async () => {
      const config = configFromCli(flags);
      const keyField = typeof flags.keyField === 'string' ? flags.keyField : undefined;
      const records = parseJsonLines(await readStdin(), keyField);
      if (config.runtime.manageInfra && !config.kafka.bootstrapGiven) {
        const statuses = await up(config);
        print(statuses, false);
        if (statuses.some((s) => s.action === 'started'))
          process.stdout.write(
            'Kafka and Redis keep running for the job (stop them with: npx sluice infra down)\n',
          );
      }
      const kafka = { bootstrapServers: config.kafka.bootstrapServers, security: config.kafka.security };
      const events = new EventLog(createLogger({ format: 'pretty', level: 'warn' }));
      await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, events });
      const admin = KafkaAdmin.create({ ...kafka, clientId: 'sluice-produce' });
      try {
        const partitions = await admin.partitionCount(topic);
        if (partitions === undefined) {
          if (config.kafka.bootstrapGiven) {
            throw new SluiceError(
              'KAFKA_TOPIC_MISSING',
              `Topic '${topic}' does not exist on ${config.kafka.bootstrapServers}, and Sluice does not create topics on a ` +
                'cluster it does not manage. Fix: create the topic first.',
            );
          }
          await admin.createTopic(topic, config.job.partitions);
          await waitForKafka({ ...kafka, timeoutMs: config.kafka.waitTimeoutMs, topic, events });
        }
      } finally {
        admin.close();
      }
      const producer = await KafkaProducer.connect({ ...kafka, clientId: 'sluice-produce' });
      try {
        for (const record of records) await producer.send(topic, null, Buffer.from(record.value), record.key);
        await producer.flush();
      } finally {
        await producer.close();
      }
      process.stdout.write(
        `produced ${records.length} records to '${topic}'${keyField ? ` (keyed by ${keyField})` : ''}\n`,
      );
      return 0;
    }),
  );
}
