// The benchmarks' short forms as CI runs them: `sluice bench <name> --quick` against the test's
// broker and Redis, with a state dir of its own.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { type CliResult, runCli } from './cli.js';
import { testEnv } from './test-env.js';

/** Call inside a describe: returns a runner of `sluice bench <name> --quick`. */
export function quickBench(): (name: string) => Promise<CliResult> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
  after(() => rmSync(stateDir, { recursive: true, force: true }));
  return (name) =>
    runCli(
      ['bench', name, '--quick'],
      {
        SLUICE_MANAGE_INFRA: 'false',
        SLUICE_KAFKA_BOOTSTRAP: testEnv.kafkaBootstrap,
        SLUICE_REDIS_URL: testEnv.redisUrl,
        SLUICE_STATE_DIR: stateDir,
        SLUICE_CACHE_DIR: testEnv.cacheDir,
      },
      500_000,
    );
}
