// Starting and stopping the background servers Sluice owns (Kafka, Redis): detached processes
// whose pid is recorded, checked against /proc so a recycled pid is never mistaken for ours, and
// stopped with SIGTERM, then SIGKILL after a deadline.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../errors/sluice-error.js';

export interface DetachedSpawn {
  name: string;
  command: string;
  args: readonly string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts a process that outlives the caller, with stdout and stderr appended to its log file. */
export function spawnDetached(spec: DetachedSpawn): number {
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) {
      throw new SluiceError(
        'INFRA_START_FAILED',
        `Could not start ${spec.name}: spawning ${spec.command} failed.`,
      );
    }
    // Reap it if it dies while we are still alive; never keep our event loop open for it.
    child.on('error', () => {});
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The last lines of a service's log file, for error messages when it fails to start. */
export function logTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log yet)';
  }
}

/** The pid recorded in a pid file, if the file holds one. */
export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The process's command line, or undefined when no such process exists. */
export function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** True when the pid names a live (not zombie) process whose command line contains `marker`. */
export function isOurProcessAlive(pid: number | undefined, marker: string): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  if (isZombie(pid)) return false;
  const cmdline = readCmdline(pid);
  return cmdline?.includes(marker) === true;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name, which may itself contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** Every live process whose command line contains `marker` (used to prove nothing is left over). */
export function findProcesses(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (isOurProcessAlive(pid, marker)) pids.push(pid);
  }
  return pids;
}

export type StopOutcome = 'not-running' | 'stopped' | 'killed';

/**
 * SIGTERM, wait up to graceMs for a clean exit (Kafka flushes its logs, Redis its AOF), then SIGKILL.
 * Throws INFRA_STOP_FAILED only if the process survives SIGKILL too.
 */
export async function stopProcess(
  name: string,
  pid: number | undefined,
  marker: string,
  graceMs: number,
): Promise<StopOutcome> {
  if (pid === undefined || !isOurProcessAlive(pid, marker)) return 'not-running';
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, marker, graceMs)) return 'stopped';
  signal(pid, 'SIGKILL');
  if (await waitForExit(pid, marker, 5000)) return 'killed';
  throw new SluiceError(
    'INFRA_STOP_FAILED',
    `${name} (pid ${pid}) is still running after SIGTERM and SIGKILL. Check it with \`ps -p ${pid} -o pid,stat,cmd\`; ` +
      'a process in state D is stuck in the kernel and ends when its I/O does.',
    { details: { pid } },
  );
}

export async function waitForExit(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurProcessAlive(pid, marker)) return true;
    await sleep(50);
  }
  return !isOurProcessAlive(pid, marker);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Every live process below `pid` (children, their children, ...), from /proc's parent links. What
 * a command started and must not leave behind when it is stopped by a signal.
 */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after its last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const child of children.get(p) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}
