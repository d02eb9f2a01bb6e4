// Shows other processes' log lines (the TaskManagers' JSON) in this process's output: as they are
// in JSON mode, rendered like this process's own lines in pretty mode. Lines that are not JSON
// (a crash's stack trace) pass through, prefixed with where they came from.

import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { LoggingConfig } from '../config/sluice-config.js';
import { prettyOptions } from './logger.js';

export type LineForwarder = (line: string, source: string) => void;

export function createLogForwarder(config: LoggingConfig, out: NodeJS.WritableStream): LineForwarder {
  const threshold =
    config.level === 'silent' ? Number.POSITIVE_INFINITY : (pino.levels.values[config.level] ?? 30);
  const pretty = config.format === 'pretty' ? prettyFactory(prettyOptions(out)) : undefined;
  return (line, source) => {
    if (line.trim() === '') return;
    let record: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed && typeof parsed === 'object') record = parsed as Record<string, unknown>;
    } catch {
      record = undefined;
    }
    if (!record) {
      out.write(
        pretty
          ? `[${source}] ${line}\n`
          : `${JSON.stringify({ level: 50, time: Date.now(), source, msg: line })}\n`,
      );
      return;
    }
    if (typeof record.level === 'number' && record.level < threshold) return;
    out.write(pretty ? pretty(record) : `${line}\n`);
  };
}
