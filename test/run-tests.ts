// `npm test`'s runner: starts a private Kafka broker and Redis on free ports in a temporary state
// dir, runs every compiled test file with node:test against them, then stops them and checks that
// no process of that state dir survived. Two runs at once never share a port or a directory.

import { spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InfraConfig } from '../src/config/sluice-config.js';
import { infraDown, infraUp } from '../src/infra/infra.js';
import { kafkaPaths } from '../src/infra/kafka/kafka-broker.js';
import { findFreePort } from '../src/infra/ports.js';
import { findProcesses } from '../src/infra/process-control.js';
import { redisPaths } from '../src/infra/redis/redis-server.js';

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
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-test-'));
  const infra: InfraConfig = {
    stateDir,
    host: '127.0.0.1',
    cacheDir: path.join(root, '.cache'),
    kafkaPort: await findFreePort(),
    kafkaControllerPort: await findFreePort(),
    kafkaHeap: '512m',
    redisPort: await findFreePort(),
  };
  let interrupted = false;
  const cleanup = async () => {
    await infraDown(infra);
    rmSync(stateDir, { recursive: true, force: true });
  };
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const started = Date.now();
    process.stdout.write(`test infra: starting Kafka and Redis in ${stateDir}\n`);
    await infraUp(infra, { kafkaTimeoutMs: 90_000 });
    process.stdout.write(
      `test infra: Kafka 127.0.0.1:${infra.kafkaPort}, Redis 127.0.0.1:${infra.redisPort} (${Date.now() - started}ms)\n`,
    );
    const env = {
      ...process.env,
      SLUICE_TEST_KAFKA_BOOTSTRAP: `127.0.0.1:${infra.kafkaPort}`,
      SLUICE_TEST_REDIS_URL: `redis://127.0.0.1:${infra.redisPort}`,
      SLUICE_TEST_CACHE_DIR: infra.cacheDir,
      // Fault tests restart the broker and Redis through the same infra code.
      SLUICE_TEST_INFRA: JSON.stringify(infra),
      SLUICE_TEST_ROOT: root,
    };
    // Files that run processes (the cluster, the commands, the benchmarks) go one at a time, as the
    // machine's two cores allow; the others (in-process, a second or so each, and BESIDE) run beside
    // them, their report printed once everything is done, so that the two never interleave.
    const heavy = files.filter(
      (f) => HEAVY.some((dir) => f.includes(dir)) && !BESIDE.some((name) => f.endsWith(`/${name}.test.js`)),
    );
    const light = files.filter((f) => !heavy.includes(f));
    const lightReport = path.join(stateDir, 'light-tests.txt');
    const [heavyCode, lightCode] = await Promise.all([
      runFiles(heavy, env, 'inherit'),
      runFiles(light, env, lightReport),
    ]);
    process.stdout.write(
      `\n── tests that ran beside the others (in-process, or with a broker and Redis of their own) ──\n${readFileSync(lightReport, 'utf8')}\n`,
    );
    const code = heavyCode !== 0 ? heavyCode : lightCode;
    if (code !== 0) keepServiceLogs(stateDir);
    return interrupted ? 130 : code;
  } finally {
    await cleanup();
    const strays = findProcesses(stateDir);
    if (strays.length > 0) {
      process.stderr.write(`test infra: processes of ${stateDir} still running: ${strays.join(', ')}\n`);
      process.exitCode = 1;
    }
  }
}

/** Test directories whose files start processes or whole clusters: never two at once. */
const HEAVY = ['/test/integration/', '/test/bench/', '/test/cli/', '/test/reports/'];
/**
 * Files of those directories that run beside them all the same: each has a broker and Redis of its
 * own and never touches the shared ones (which the fault tests restart and freeze), and none runs a
 * cluster. About two of the suite's twenty minutes.
 */
const BESIDE = ['commands-end', 'infra-lifecycle', 'secured-connections'];

/** Runs test files with node:test one at a time; its report to the terminal or into a file. */
function runFiles(
  files: readonly string[],
  env: NodeJS.ProcessEnv,
  out: 'inherit' | string,
): Promise<number> {
  if (files.length === 0) {
    if (out !== 'inherit') writeFileSync(out, 'none\n');
    return Promise.resolve(0);
  }
  const args = ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files];
  return new Promise<number>((resolve) => {
    const fd = out === 'inherit' ? undefined : openSync(out, 'w');
    const child = spawn(process.execPath, args, {
      stdio: fd === undefined ? 'inherit' : ['ignore', fd, fd],
      env,
    });
    child.once('close', (c) => {
      if (fd !== undefined) closeSync(fd);
      resolve(c ?? 1);
    });
  });
}

/** A failed run keeps the test broker's and Redis's logs (the state dir is removed): what a restart did. */
function keepServiceLogs(stateDir: string): void {
  const dir = path.join(root, 'reports', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  for (const [name, file] of [
    ['kafka', kafkaPaths(stateDir).logFile],
    ['redis', redisPaths(stateDir).logFile],
  ] as const) {
    if (!existsSync(file)) continue;
    const kept = path.join(dir, `test-infra-${stamp}-${name}.log`);
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
