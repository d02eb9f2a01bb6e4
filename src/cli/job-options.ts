// What every command that runs a job file takes: the file, its `--param key=value`s, and the
// consumer group it runs as. Loading and planning happen here, before Kafka or Redis is touched,
// so a bad file or parameter stops the command at once (exit 2) with what was expected.

import type { Command } from 'commander';
import type { SluiceConfig } from '../config/sluice-config.js';
import { type PreparedJob, prepareJob } from '../jobmanager/prepared-job.js';
import { parseParameterFlags } from '../plan/job-parameters.js';

export function addJobOptions(command: Command): Command {
  return command.option(
    '--param <key=value>',
    "a job parameter (repeat for each); read through the job's schema",
    (value: string, previous: string[] = []) => [...previous, value],
  );
}

export async function prepareJobFromCli(file: string, flags: Record<string, unknown>): Promise<PreparedJob> {
  const raw = Array.isArray(flags.param) ? (flags.param as string[]) : [];
  return prepareJob(file, parseParameterFlags(raw));
}

/** The job's consumer group: the one set (SIMULATOR_KAFKA_CONSUMER_GROUP / --group), else `sluice-<job name>`. */
export function groupOf(config: SluiceConfig, job: PreparedJob): string {
  return config.job.consumerGroupGiven ?? `sluice-${job.plan.name}`;
}
