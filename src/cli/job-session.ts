// What every job-running command does around its job: start Kafka and Redis if asked (and stop
// what it started on the way out, Ctrl-C included), log to the terminal with a live status line,
// wait for Kafka as the seed describes, and hand the job a ready set of runtime options.

import path from 'node:path';
import type { SluiceConfig } from '../config/sluice-config.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { infraDown, infraRestart, type ServiceName } from '../infra/infra.js';
import type { JobRunOptions } from '../jobmanager/job-run.js';
import { EventLog } from '../logging/event-log.js';
import { createLogForwarder } from '../logging/log-forwarder.js';
import { createLogger } from '../logging/logger.js';
import { print, up } from './infra-command.js';
import { LiveLine } from './live-line.js';
import { projectRoot } from './project-root.js';

export interface JobSession {
  /** Options for runJob (and the instrumented runs built on it). */
  runOptions: JobRunOptions;
  events: EventLog;
  line: LiveLine;
  interrupted: () => boolean;
  /** Restarts our own Kafka or Redis (fault injection); only when this session manages infra. */
  restart: (service: 'kafka' | 'redis') => Promise<void>;
}

/**
 * The TaskManager command the JobManager starts: this very CLI, so it runs the same build. A larger
 * young generation: a busy TaskManager allocates per record, and fewer scavenges measured ~3% faster
 * (bench throughput); an idle one never grows into it.
 */
export function taskManagerCommandLine(): string[] {
  return [
    process.execPath,
    '--max-semi-space-size=32',
    path.join(projectRoot(), 'bin', 'sluice.js'),
    'taskmanager',
  ];
}

export async function withJobSession(
  config: SluiceConfig,
  options: { manageInfra: boolean; keepInfra: boolean },
  body: (session: JobSession) => Promise<number>,
): Promise<number> {
  const startedHere: ServiceName[] = [];
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
        security: config.kafka.security,
        timeoutMs: config.kafka.waitTimeoutMs,
        events,
      });
      const code = await body({
        runOptions: {
          config,
          events,
          forwardLine: createLogForwarder(config.logging, output),
          taskManagerCommand: taskManagerCommandLine(),
          runsDir: path.join(config.infra.stateDir, 'runs'),
          status: (text) => line.update(text),
          abortReason: () => (interrupted ? 'interrupted (Ctrl-C)' : undefined),
        },
        events,
        line,
        interrupted: () => interrupted,
        restart: async (service) => {
          await infraRestart(config.infra, service, { kafkaTimeoutMs: config.kafka.waitTimeoutMs });
        },
      });
      return interrupted ? 130 : code;
    } finally {
      line.done();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!options.keepInfra && startedHere.length > 0)
      await infraDown(config.infra, { services: startedHere });
  }
}
