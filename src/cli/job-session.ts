// What every job-running command does around its job: start Kafka and Redis if asked (and stop
// what it started on the way out, Ctrl-C included), log to the terminal with a live status line,
// wait for Kafka as the seed describes, and hand the job a ready set of runtime options.

import path from 'node:path';
import type { SluiceConfig } from '../config/sluice-config.js';
import { waitForKafka } from '../connectors/kafka/readiness.js';
import { SluiceError } from '../errors/sluice-error.js';
import { infraDown, infraRestart, type ServiceName } from '../infra/infra.js';
import { canListen } from '../infra/ports.js';
import { EventLog } from '../logging/event-log.js';
import { createLogForwarder } from '../logging/log-forwarder.js';
import { createLogger } from '../logging/logger.js';
import type { JobRunOptions } from '../runs/seed-run.js';
import { print, up } from './infra-command.js';
import { LiveLine } from './live-line.js';
import { projectRoot } from './project-root.js';

export interface JobSession {
  /** Options for runJob (and the instrumented runs built on it), but the job file. */
  runOptions: Omit<JobRunOptions, 'jobFile'>;
  events: EventLog;
  line: LiveLine;
  interrupted: () => boolean;
  /** Resolves at the first Ctrl-C or SIGTERM: how a streaming job is asked to stop. */
  stopRequested: Promise<void>;
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
  /** `streaming`: a job that runs until stopped; Ctrl-C is its normal end, and the body's code stands. */
  options: { manageInfra: boolean; keepInfra: boolean; streaming?: boolean },
  body: (session: JobSession) => Promise<number>,
): Promise<number> {
  const startedHere: ServiceName[] = [];
  let interrupted = false;
  let requestStop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    requestStop = resolve;
  });
  const onSignal = () => {
    interrupted = true;
    requestStop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await checkJobManagerPort(config);
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
        stopRequested,
        restart: async (service) => {
          await infraRestart(config.infra, service, { kafkaTimeoutMs: config.kafka.waitTimeoutMs });
        },
      });
      return interrupted && !options.streaming ? 130 : code;
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

/**
 * Before anything starts: the JobManager's port must be free, or the run would fail half-way with
 * a raw EADDRINUSE and a verdict about records nobody wrote.
 */
async function checkJobManagerPort(config: SluiceConfig): Promise<void> {
  const { jobManagerPort: port, jobManagerHost: host } = config.runtime;
  if (port === 0 || (await canListen(port, host))) return;
  throw new SluiceError(
    'INFRA_PORT_IN_USE',
    `Port ${port} on ${host}, where the JobManager listens (dashboard, REST, TaskManagers), is already in use ` +
      '(another Sluice run, or another program). Fix: stop that process, or choose another port with ' +
      'SLUICE_JOBMANAGER_PORT or --jobmanager-port (0 picks a free one).',
    { details: { port, host } },
  );
}
