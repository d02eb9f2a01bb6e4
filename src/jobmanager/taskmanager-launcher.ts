// Starts TaskManager processes on this host and watches them: each one's stdout and stderr are
// kept in its own log file and handed, line by line, to the JobManager's output; exits are
// reported. Stopping asks politely (the JobManager's `stop` or SIGTERM), then SIGKILLs stragglers.

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface LaunchOptions {
  /** The command that starts one TaskManager, before `--id` and `--jobmanager` (e.g. node bin/sluice.js taskmanager). */
  command: readonly string[];
  jobManagerUrl: string;
  logDir: string;
  env: NodeJS.ProcessEnv;
  onLine: (taskManagerId: string, line: string, stream: 'stdout' | 'stderr') => void;
  onExit: (taskManagerId: string, pid: number, code: number | null, signal: NodeJS.Signals | null) => void;
}

interface Running {
  child: ChildProcess;
  log: WriteStream;
  exited: Promise<void>;
}

export class TaskManagerLauncher {
  readonly #o: LaunchOptions;
  readonly #running = new Map<string, Running>();

  constructor(options: LaunchOptions) {
    this.#o = options;
    mkdirSync(options.logDir, { recursive: true });
  }

  /** TM-01, TM-02, ... (two digits at least, as the seed writes them). */
  static ids(count: number): string[] {
    const width = Math.max(2, String(count).length);
    return Array.from({ length: count }, (_, i) => `TM-${String(i + 1).padStart(width, '0')}`);
  }

  launch(id: string): number {
    const [command, ...args] = this.#o.command;
    if (!command) throw new Error('no TaskManager command');
    const log = createWriteStream(path.join(this.#o.logDir, `${id}.log`), { flags: 'a' });
    const child = spawn(command, [...args, '--id', id, '--jobmanager', this.#o.jobManagerUrl], {
      env: this.#o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own: a terminal's Ctrl-C reaches the JobManager only, which takes
      // the last checkpoint and then stops its TaskManagers itself (a Ctrl-C that reached them too
      // would have them leave the group while that checkpoint still needs them).
      detached: true,
    });
    const pid = child.pid ?? -1;
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = child[stream];
      if (!source) continue;
      source.pipe(log, { end: false });
      createInterface({ input: source }).on('line', (line) => this.#o.onLine(id, line, stream));
    }
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#o.onExit(id, pid, code, signal);
        resolve();
      });
      child.once('error', () => resolve());
    });
    // Close the log only once both pipes are drained (exit can come before the last lines).
    child.once('close', () => log.end());
    this.#running.set(id, { child, log, exited });
    return pid;
  }

  pid(id: string): number | undefined {
    return this.#running.get(id)?.child.pid;
  }

  isRunning(id: string): boolean {
    const r = this.#running.get(id);
    return r !== undefined && r.child.exitCode === null && r.child.signalCode === null;
  }

  runningIds(): string[] {
    return [...this.#running.keys()].filter((id) => this.isRunning(id));
  }

  signal(id: string, signal: NodeJS.Signals): boolean {
    const r = this.#running.get(id);
    if (!r || !this.isRunning(id)) return false;
    return r.child.kill(signal);
  }

  async waitForExit(id: string, timeoutMs: number): Promise<boolean> {
    const r = this.#running.get(id);
    if (!r) return true;
    await Promise.race([r.exited, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    return !this.isRunning(id);
  }

  /** SIGTERM every TaskManager still running, SIGKILL those that outlive `graceMs`. */
  async stopAll(graceMs: number): Promise<void> {
    const ids = this.runningIds();
    for (const id of ids) this.signal(id, 'SIGTERM');
    await Promise.all(ids.map((id) => this.waitForExit(id, graceMs)));
    for (const id of this.runningIds()) this.signal(id, 'SIGKILL');
    await Promise.all(this.runningIds().map((id) => this.waitForExit(id, 5000)));
  }
}
