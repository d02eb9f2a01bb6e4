// Long-running `sluice` processes for tests that play several hosts: a JobManager service, remote
// TaskManagers. Their JSON log lines are parsed as they come, so a test can wait for an event with
// a deadline; every process started here is tracked and stopped by `stopAllSluice` in `after`.

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { eventually, projectRoot } from './test-env.js';

export type LogRecord = Record<string, unknown> & { event?: string };

export interface SluiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly records: LogRecord[];
  /** Every output line, JSON or not (a refused start prints its error as text). */
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** The first record of this event (matching `where`) logged so far or within the deadline. */
  waitForEvent(event: string, where?: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** SIGTERM (or `signal`), then SIGKILL if it has not exited within the deadline. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
}

const started = new Set<SluiceProcess>();

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Runs the command inside this (e.g. `ip netns exec <ns> ...`); it must exec, keeping the pid. */
  wrap?: (argv: string[]) => string[];
  /** Every output line is also written here (for a failing test's post-mortem). */
  logFile?: string;
  /** The `sluice` to run (default: this checkout's bin/sluice.js), e.g. a user project's node_modules/.bin/sluice. */
  bin?: string;
  cwd?: string;
  /** Its own process group, as a shell's foreground job: `process.kill(-pid, 'SIGINT')` is a terminal's Ctrl-C. */
  detached?: boolean;
}

export function startSluice(name: string, args: string[], options: StartOptions = {}): SluiceProcess {
  const argv = [process.execPath, options.bin ?? path.join(projectRoot, 'bin', 'sluice.js'), ...args];
  const [command, ...rest] = options.wrap ? options.wrap(argv) : argv;
  if (!command) throw new Error('empty command');
  const child = spawn(command, rest, {
    env: { ...process.env, SLUICE_LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.detached ? { detached: true } : {}),
  });
  const log: WriteStream | undefined = options.logFile
    ? createWriteStream(options.logFile, { flags: 'a' })
    : undefined;
  const records: LogRecord[] = [];
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      log?.write(`${line}\n`);
      lines.push(line);
      if (!line.startsWith('{')) return;
      try {
        records.push(JSON.parse(line) as LogRecord);
      } catch {
        // A partial or foreign line: kept in the log file only.
      }
    });
  }
  let running = true;
  let how = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      how = signal ? `killed by ${signal}` : `exit code ${code}`;
      log?.end();
      resolve({ code, signal });
    });
  });
  const proc: SluiceProcess = {
    name,
    child,
    pid: child.pid ?? -1,
    records,
    lines,
    exited,
    isRunning: () => running,
    waitForEvent: (event, where = () => true, timeoutMs = 60_000) =>
      eventually(
        `${name} to log ${event}`,
        () => {
          const found = records.find((r) => r.event === event && where(r));
          if (found) return found;
          if (!running) throw new Error(`${name} exited (${how}) before logging ${event}`);
          return undefined;
        },
        { timeoutMs },
      ),
    stop: async (signal = 'SIGTERM', timeoutMs = 20_000) => {
      if (!running) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
  started.add(proc);
  void exited.then(() => started.delete(proc));
  return proc;
}

let stoppingAll = false;

/** True once stopAllSluice() began: a supervisor in a test starts nothing again after that. */
export function stoppingAllSluice(): boolean {
  return stoppingAll;
}

/** Stops whatever a test left running, politely first. */
export async function stopAllSluice(): Promise<void> {
  stoppingAll = true;
  try {
    await Promise.all([...started].map((p) => p.stop('SIGTERM', 15_000)));
  } finally {
    stoppingAll = false;
  }
}
