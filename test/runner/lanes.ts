// How `npm test` spreads its files over the machine: each lane has a broker and Redis of its own and
// runs its files one at a time; lanes take the next file from a shared queue when free. A file
// that restarts or freezes its lane's services (it reads `testEnv.infra`) only ever runs in the
// first lane, so no file of another lane sees a service vanish under it.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isOurProcessAlive } from '../../src/infra/process-control.js';

export interface Lane {
  readonly name: string;
  readonly env: NodeJS.ProcessEnv;
  /** Files only this lane may run (before it takes from the shared queue). */
  readonly own: string[];
}

export interface FileRun {
  readonly lane: string;
  /** What ran: one file, or a label for a batch. */
  readonly label: string;
  readonly code: number;
  readonly ms: number;
  /** node:test's spec report, stdout and stderr together. */
  readonly output: string;
}

/** Files that restart, freeze or fill the shared broker or Redis: they go to the first lane alone. */
export function disruptsServices(file: string): boolean {
  return readFileSync(file, 'utf8').includes('testEnv.infra');
}

/** Test processes running now: an interrupted run passes its signal on to them. */
const running = new Set<ChildProcess>();
let interrupted = false;

/** Ctrl-C or SIGTERM of the runner: running test files get the signal, and no file starts after it. */
export function interruptTestFiles(signal: NodeJS.Signals): void {
  interrupted = true;
  for (const child of running) child.kill(signal);
}

/** Runs every lane until its own files and the shared queue are empty; reports each file as it ends. */
export async function runLanes(
  lanes: readonly Lane[],
  queue: string[],
  scratchDir: string,
  onStart: (lane: string, file: string) => void,
  onDone: (run: FileRun) => void,
): Promise<FileRun[]> {
  const runs: FileRun[] = [];
  await Promise.all(
    lanes.map(async (lane) => {
      for (;;) {
        if (interrupted) return;
        const file = lane.own.shift() ?? queue.shift();
        if (file === undefined) return;
        onStart(lane.name, file);
        const run = await runTestFiles(lane, [file], file, scratchDir);
        runs.push(run);
        onDone(run);
      }
    }),
  );
  return runs;
}

let outputs = 0;

/** node:test on `files`, one at a time, in one process; its report captured and returned whole. */
export function runTestFiles(
  lane: Pick<Lane, 'name' | 'env'>,
  files: readonly string[],
  label: string,
  scratchDir: string,
): Promise<FileRun> {
  const out = path.join(scratchDir, `test-output-${++outputs}.txt`);
  const args = ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files];
  const started = Date.now();
  return new Promise<FileRun>((resolve) => {
    const fd = openSync(out, 'w');
    const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], env: lane.env });
    running.add(child);
    let finished = false;
    const finish = (code: number) => {
      if (finished) return; // 'error' and 'close' can both come
      finished = true;
      running.delete(child);
      closeSync(fd);
      const output = readFileSync(out, 'utf8');
      rmSync(out, { force: true });
      resolve({ lane: lane.name, label, code, ms: Date.now() - started, output });
    };
    child.once('error', () => finish(1));
    child.once('close', (c) => finish(c ?? 1));
  });
}

/**
 * Processes that a test started and left running: every one has the run's scratch dir in its
 * environment (SLUICE_TEST_INFRA names it), which no other process on the machine has. The lanes'
 * own brokers and Redis servers (their command lines name their dirs in it) are not among them,
 * even when a fault test restarted one.
 */
export function processesStartedBy(scratchDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const pid = Number(entry);
      if (
        readFileSync(`/proc/${entry}/environ`, 'latin1').includes(scratchDir) &&
        !isOurProcessAlive(pid, scratchDir)
      )
        pids.push(pid);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}
