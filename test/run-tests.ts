// `npm test`'s runner: starts private Kafka brokers and Redis servers on free ports in a temporary
// dir, one pair per lane (runner/lanes.ts), runs every compiled test file with node:test against
// them, then stops them and checks that no process of that dir survived. Two runs at once never
// share a port or a directory.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InfraConfig } from '../src/config/sluice-config.js';
import { infraDown, infraUp } from '../src/infra/infra.js';
import { kafkaPaths } from '../src/infra/kafka/kafka-broker.js';
import { findFreePort } from '../src/infra/ports.js';
import { findProcesses } from '../src/infra/process-control.js';
import { redisPaths } from '../src/infra/redis/redis-server.js';
import {
  disruptsServices,
  type FileRun,
  interruptTestFiles,
  type Lane,
  processesStartedBy,
  runLanes,
  runTestFiles,
} from './runner/lanes.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/test
const root = path.resolve(here, '..', '..');

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(full);
    return e.name.endsWith('.test.js') ? [full] : [];
  });
}

async function main(): Promise<number> {
  const filter = process.argv.slice(2);
  // The examples' own unit tests (examples/*.test.ts) run too, compiled next to them.
  const examples = path.join(root, 'dist', 'examples');
  const files = [...testFiles(here), ...testFiles(examples)]
    .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
    .sort();
  const heavy = files.filter(
    (f) => HEAVY.some((dir) => f.includes(dir)) && !BESIDE.some((name) => f.endsWith(`/${name}.test.js`)),
  );
  const light = files.filter((f) => !heavy.includes(f));
  const laneCount = lanesWanted(heavy.length);
  const scratchDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-test-'));
  const infras: InfraConfig[] = [];
  for (const name of LANE_NAMES.slice(0, laneCount)) {
    const stateDir = path.join(scratchDir, `lane-${name}`);
    mkdirSync(stateDir);
    infras.push({
      stateDir,
      host: '127.0.0.1',
      cacheDir: path.join(root, '.cache'),
      kafkaPort: await findFreePort(),
      kafkaControllerPort: await findFreePort(),
      kafkaHeap: '512m',
      redisPort: await findFreePort(),
    });
  }
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = true;
    interruptTestFiles(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const started = Date.now();
    process.stdout.write(`test infra: starting ${laneCount} Kafka broker(s) and Redis in ${scratchDir}\n`);
    await Promise.all(infras.map((infra) => infraUp(infra, { kafkaTimeoutMs: 90_000 })));
    const lanes: Lane[] = infras.map((infra, i) => {
      const name = LANE_NAMES[i] ?? String(i);
      process.stdout.write(
        `test infra: lane ${name}: Kafka 127.0.0.1:${infra.kafkaPort}, Redis 127.0.0.1:${infra.redisPort}\n`,
      );
      return { name, env: laneEnv(infra), own: [] };
    });
    process.stdout.write(`test infra: up in ${Date.now() - started}ms\n`);
    // Files that restart or freeze their services keep to lane A; the rest, longest first.
    const disruptive = heavy.filter(disruptsServices);
    lanes[0]?.own.push(...disruptive);
    const queue = heavy.filter((f) => !disruptive.includes(f)).sort(longestFirst);
    const lastLane = lanes[lanes.length - 1];
    if (!lastLane) throw new Error('no lane to run the tests in');
    const print = (run: FileRun) => {
      const mark = run.code === 0 ? '✔' : '✖';
      process.stdout.write(
        `\n── ${mark} [lane ${run.lane}] ${relative(run.label)} (${(run.ms / 1000).toFixed(1)} s) ──\n${run.output}`,
      );
    };
    const [heavyRuns, lightRun] = await Promise.all([
      runLanes(
        lanes,
        queue,
        scratchDir,
        (lane, file) => process.stdout.write(`▶ [lane ${lane}] ${relative(file)}\n`),
        print,
      ),
      // In-process files (a second or so each) and the few that bring a broker and Redis of their
      // own run in one process beside the lanes, on the services of a lane no fault test touches.
      light.length === 0
        ? undefined
        : runTestFiles(lastLane, light, `${light.length} files beside the lanes`, scratchDir).then((run) => {
            print(run);
            return run;
          }),
    ]);
    const runs = lightRun ? [...heavyRuns, lightRun] : heavyRuns;
    const failed = runs.filter((r) => r.code !== 0);
    const busy = lanes.map((lane) => {
      const ms = runs.filter((r) => r.lane === lane.name).reduce((sum, r) => sum + r.ms, 0);
      return `lane ${lane.name} busy ${(ms / 1000).toFixed(0)} s`;
    });
    process.stdout.write(
      `\n── ${runs.length} test processes in ${((Date.now() - started) / 1000).toFixed(0)} s (${busy.join(', ')}) ──\n`,
    );
    for (const run of failed) process.stdout.write(`✖ failed: ${relative(run.label)} (lane ${run.lane})\n`);
    if (failed.length > 0) for (const infra of infras) keepServiceLogs(infra.stateDir);
    return interrupted ? 130 : failed.length > 0 ? 1 : 0;
  } finally {
    // What a test started and did not stop (or could not: its file was interrupted) goes first;
    // after a whole run it is a leak, and the run fails naming it.
    const leftovers = processesStartedBy(scratchDir).filter((pid) => {
      try {
        process.kill(pid, 'SIGKILL');
        return true;
      } catch {
        return false;
      }
    });
    if (leftovers.length > 0 && !interrupted) {
      process.stderr.write(
        `test infra: processes started by tests still running (killed): ${leftovers.join(', ')}\n`,
      );
      process.exitCode = 1;
    }
    await Promise.all(infras.map((infra) => infraDown(infra)));
    rmSync(scratchDir, { recursive: true, force: true });
    const strays = findProcesses(scratchDir);
    if (strays.length > 0) {
      process.stderr.write(`test infra: processes of ${scratchDir} still running: ${strays.join(', ')}\n`);
      process.exitCode = 1;
    }
  }
}

function laneEnv(infra: InfraConfig): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SLUICE_TEST_KAFKA_BOOTSTRAP: `127.0.0.1:${infra.kafkaPort}`,
    SLUICE_TEST_REDIS_URL: `redis://127.0.0.1:${infra.redisPort}`,
    SLUICE_TEST_CACHE_DIR: infra.cacheDir,
    // Fault tests restart the broker and Redis through the same infra code.
    SLUICE_TEST_INFRA: JSON.stringify(infra),
    SLUICE_TEST_ROOT: root,
  };
}

const LANE_NAMES = ['A', 'B', 'C', 'D'];

/**
 * Two lanes unless SLUICE_TEST_LANES says otherwise: most of a cluster test's time is waiting
 * (sessions, checkpoints, restarts), so two fit on the machine's two cores. One lane for one file.
 */
function lanesWanted(heavyFiles: number): number {
  const raw = process.env.SLUICE_TEST_LANES;
  const wanted = raw === undefined || raw === '' ? 2 : Number(raw);
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > LANE_NAMES.length) {
    throw new Error(
      `SLUICE_TEST_LANES=${raw} is not a lane count: set it to 1..${LANE_NAMES.length}, or unset it for 2`,
    );
  }
  return Math.max(1, Math.min(wanted, heavyFiles));
}

/** Test directories whose files start processes or whole clusters: one at a time in a lane. */
const HEAVY = ['/test/integration/', '/test/bench/', '/test/cli/', '/test/reports/'];
/**
 * Files of those directories that run beside the lanes all the same: each has a broker and Redis
 * of its own and runs no cluster. About two minutes.
 */
const BESIDE = ['commands-end', 'infra-lifecycle', 'secured-connections'];
/**
 * The longest files (measured 25-75 s each), started first so that the lanes end together. The
 * order only moves the end of the run, never what a test sees; the others follow by name.
 */
const LONG_FIRST = [
  'bench-quick',
  'bench-recovery-quick',
  'multi-host',
  'cluster-auth',
  'endless-loop',
  'broker-cut',
  'user-project',
  'distribution',
  'examples',
  'jobmanager-restart',
  'state-restore',
  'state-disk-full',
  'windows-redis',
];

function longestFirst(a: string, b: string): number {
  const rank = (f: string) => {
    const i = LONG_FIRST.findIndex((name) => f.endsWith(`/${name}.test.js`));
    return i === -1 ? LONG_FIRST.length : i;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

function relative(file: string): string {
  return file.startsWith(root) ? path.relative(path.join(root, 'dist'), file) : file;
}

/** A failed run keeps the test broker's and Redis's logs (the state dir is removed): what a restart did. */
function keepServiceLogs(stateDir: string): void {
  const dir = path.join(root, 'reports', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const lane = path.basename(stateDir);
  for (const [name, file] of [
    ['kafka', kafkaPaths(stateDir).logFile],
    ['redis', redisPaths(stateDir).logFile],
  ] as const) {
    if (!existsSync(file)) continue;
    const kept = path.join(dir, `test-infra-${stamp}-${lane}-${name}.log`);
    copyFileSync(file, kept);
    process.stdout.write(`test infra: ${name} log kept in ${kept}\n`);
  }
}

main().then(
  (code) => {
    process.exitCode = process.exitCode || code;
  },
  (error: unknown) => {
    process.stderr.write(
      `test runner failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
