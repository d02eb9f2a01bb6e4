// Creates the process logger: pino JSON lines for machines, or the same records rendered for
// people (time, level, message) through pino-pretty. Child loggers carry the component's identity
// ({taskManagerId, taskId, checkpointId}) in both forms.

import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import type { LoggingConfig } from '../config/sluice-config.js';

/**
 * pino-pretty loaded only for the human form: TaskManagers started by a JobManager log JSON, and
 * loading it costs each of them ~4 MiB of private memory. Synchronously, as createLogger is.
 */
const pretty = (options: import('pino-pretty').PrettyOptions) =>
  (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty'))(options);

export type { Logger } from 'pino';

export function createLogger(
  config: LoggingConfig,
  destination: NodeJS.WritableStream = process.stdout,
): Logger {
  const options = { level: config.level, base: { pid: process.pid } };
  if (config.format === 'json') {
    // Standard streams get pino's fast synchronous writer; any other stream (tests) is used as is.
    const fd = destination === process.stdout ? 1 : destination === process.stderr ? 2 : undefined;
    return pino(options, fd === undefined ? destination : pino.destination({ dest: fd, sync: true }));
  }
  return pino(options, pretty({ ...prettyOptions(destination), destination, sync: true }));
}

/** How records look in the human form; shared with the forwarder of other processes' lines. */
export function prettyOptions(destination: NodeJS.WritableStream) {
  return {
    colorize: 'isTTY' in destination && destination.isTTY === true,
    translateTime: 'HH:MM:ss.l',
    ignore: 'pid,hostname',
    // The seed's lines are the whole message; the JSON fields stay out of the human form.
    hideObject: true,
  };
}
