// What a long cluster test was waiting for when it ran out of time. node:test cancels a test that
// outlives its timeout without running any more of its code, so a stall in CI printed nothing but
// "cancelled" (windows.test.ts, 2026-12-07). A test names its phases here; if it is still in one
// after `afterMs`, or when it fails, the phase and the last lines of the run's logs (its own output
// and every TaskManager's) go to stderr, which the test runner shows with the test's report.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export interface StallReport {
  /** The phase the test is in now (what it waits for). */
  phase(name: string): void;
  /** Prints the report now, headed by `why` (a failure's message). */
  print(why: string): void;
  /** No report any more: the test is over. */
  clear(): void;
}

/** A JSON log line as a person reads it (time, who, message); any other line as it is. */
function readable(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const r = JSON.parse(line) as { time?: number; taskManagerId?: string; event?: string; msg?: string };
    const time = typeof r.time === 'number' ? new Date(r.time).toISOString().slice(11, 23) : '?';
    return `${time} ${r.taskManagerId ?? 'JM'} ${r.event ?? ''} ${r.msg ?? ''}`.slice(0, 400);
  } catch {
    return line;
  }
}

/** The last `lines` lines of a file (JSON log lines made readable), or a note that it is missing. */
export function fileTail(file: string, lines: number): string {
  if (!existsSync(file)) return `(${file} does not exist)`;
  const all = readFileSync(file, 'utf8').trimEnd().split('\n');
  return all.slice(-lines).map(readable).join('\n');
}

/** Every `*.log` under `dir` (recursively), oldest first. */
function logFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.log'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/**
 * Starts the watch. `logs` are files whose tails go into the report; `logDirs` are directories
 * whose `*.log` files (found when the report is printed: a run's directory appears once it starts)
 * do too.
 */
export function stallReport(
  test: string,
  afterMs: number,
  sources: { logs?: string[]; logDirs?: string[]; lines?: number },
): StallReport {
  const started = Date.now();
  let current = 'starting';
  let since = started;
  const print = (why: string) => {
    const files = [...(sources.logs ?? []), ...(sources.logDirs ?? []).flatMap(logFiles)];
    const parts = files.map((f) => `──── last lines of ${f}\n${fileTail(f, sources.lines ?? 40)}`);
    process.stderr.write(
      `\n──── ${test}: ${why}; in phase "${current}" for ${Math.round((Date.now() - since) / 1000)}s ` +
        `(${Math.round((Date.now() - started) / 1000)}s since the test began)\n${parts.join('\n')}\n────\n`,
    );
  };
  const timer = setTimeout(() => print(`still running after ${afterMs / 1000}s`), afterMs);
  timer.unref();
  return {
    phase(name) {
      current = name;
      since = Date.now();
    },
    print,
    clear: () => clearTimeout(timer),
  };
}
