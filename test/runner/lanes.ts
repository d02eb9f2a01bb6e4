// How `npm test` spreads its files over the machine: each lane has a broker and Redis of its own and
// runs its files one at a time; lanes take the next file from a shared queue when free. A file
// that restarts or freezes its lane's services (it reads `testEnv.infra`) only ever runs in the
// first lane, so no file of another lane sees a service vanish under it.

import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

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
    let finished = false;
    const finish = (code: number) => {
      if (finished) return; // 'error' and 'close' can both come
      finished = true;
      closeSync(fd);
      const output = readFileSync(out, 'utf8');
      rmSync(out, { force: true });
      resolve({ lane: lane.name, label, code, ms: Date.now() - started, output });
    };
    child.once('error', () => finish(1));
    child.once('close', (c) => finish(c ?? 1));
  });
}
