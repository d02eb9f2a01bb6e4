// Every command ends after an error: a bench and a stress run whose broker is killed -9 mid-run
// exit non-zero with a message within a bound, instead of hanging on a client that can no longer
// finish (seen: `bench throughput --quick` printed KAFKA_ADMIN_FAILED and never exited; `stress`
// waited for ever on an input writer whose queue the dead broker never drained). Each runs against
// a private broker and Redis of this test (the shared ones stay up for the others), the broker killed
// and started again.
// And a JobManager port already taken stops start-up with a message naming it and its setting.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InfraConfig } from '../../src/config/sluice-config.js';
import { infraDown, infraUp } from '../../src/infra/infra.js';
import { kafkaPaths } from '../../src/infra/kafka/kafka-broker.js';
import { findFreePort } from '../../src/infra/ports.js';
import { descendantsOf, isOurProcessAlive, readPid } from '../../src/infra/process-control.js';
import { runCli } from '../helpers/cli.js';
import { eventually, projectRoot, testEnv, uniqueName, within } from '../helpers/test-env.js';

/** How long a command may take to end once its broker is gone (the settings below: 5 s waits). */
const END_BOUND_MS = 120_000;

describe('every command ends', { timeout: 600_000 }, () => {
  let infra: InfraConfig;
  before(async () => {
    infra = {
      stateDir: mkdtempSync(path.join(os.tmpdir(), 'sluice-dying-broker-')),
      host: '127.0.0.1',
      cacheDir: testEnv.cacheDir,
      kafkaPort: await findFreePort(),
      kafkaControllerPort: await findFreePort(),
      kafkaHeap: '512m',
      redisPort: await findFreePort(),
    };
  });
  after(async () => {
    await infraDown(infra).catch(() => {});
    rmSync(infra.stateDir, { recursive: true, force: true });
  });

  /**
   * The private broker up (again), and the environment a command needs to use it and the private
   * Redis: nothing shared, so the file runs beside the others (test/run-tests.ts) and no fault test
   * restarting the shared services can change how these commands end.
   */
  async function brokerUp(name: string): Promise<NodeJS.ProcessEnv> {
    await infraUp(infra, { kafkaTimeoutMs: 90_000 });
    return {
      CI: 'true',
      SLUICE_MANAGE_INFRA: 'false',
      SLUICE_STATE_DIR: infra.stateDir,
      SLUICE_KAFKA_BOOTSTRAP: `127.0.0.1:${infra.kafkaPort}`,
      SLUICE_REDIS_URL: `redis://127.0.0.1:${infra.redisPort}`,
      // How long Sluice waits on Kafka: the bound of a send to a broker that takes nothing and of a
      // bench peer whose output stopped (60 s by default).
      SLUICE_KAFKA_WAIT_TIMEOUT: '5s',
      SLUICE_JOBMANAGER_PORT: '0',
      SIMULATOR_KAFKA_TOPIC: name,
      SIMULATOR_KAFKA_CONSUMER_GROUP: `${name}-group`,
      SIMULATOR_REDIS_KEY_SINK_COUNTER: `${name}:counter`,
      SIMULATOR_REDIS_KEY_GLOBAL_SEQUENCE: `${name}:seq`,
    };
  }

  /**
   * Starts `sluice <args>`, kills the broker -9 once the output shows `marker`, and resolves with
   * how the command ended; rejects if it has not ended END_BOUND_MS after the kill.
   */
  function killBrokerDuring(args: string[], env: NodeJS.ProcessEnv, marker: RegExp) {
    return new Promise<{ code: number; output: string; afterKillMs: number }>((resolve, reject) => {
      const child: ChildProcess = spawn(
        process.execPath,
        [path.join(projectRoot, 'bin', 'sluice.js'), ...args],
        {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      let killedAt: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (killedAt !== undefined || !marker.test(output)) return;
        killedAt = Date.now();
        const pid = readPid(kafkaPaths(infra.stateDir).pidFile);
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(
              `sluice ${args.join(' ')} still ran ${END_BOUND_MS} ms after its broker died:\n${output}`,
            ),
          );
        }, END_BOUND_MS);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('close', (code) => {
        clearTimeout(timer);
        if (killedAt === undefined) {
          reject(new Error(`sluice ${args.join(' ')} ended before ${marker} showed:\n${output}`));
          return;
        }
        resolve({ code: code ?? 1, output, afterKillMs: Date.now() - killedAt });
      });
    });
  }

  it('a bench whose broker dies mid-run exits non-zero with a message', async () => {
    const env = await brokerUp(uniqueName('end-bench'));
    const ended = await killBrokerDuring(
      ['bench', 'throughput', '--quick', '--peers', 'sluice-kafka'],
      env,
      /sluice-kafka run 1\/1/,
    );
    assert.notEqual(ended.code, 0, ended.output);
    assert.match(ended.output, /✖ SLUICE_ERR_[A-Z_]+: .*(broker|Kafka|peer)/s, ended.output);
    assert.doesNotMatch(ended.output, /Unexpected error/, 'a known failure, not a bug report');
  });

  it('a stress run whose broker dies while its input is written exits non-zero with its reason', async () => {
    const name = uniqueName('end-stress');
    const env = await brokerUp(name);
    const ended = await killBrokerDuring(
      [
        'stress',
        '--messages',
        '3000000',
        '--taskmanagers',
        '2',
        '--job-timeout',
        '20s',
        '--log-format',
        'json',
      ],
      env,
      /distribution_complete/,
    );
    assert.notEqual(ended.code, 0, ended.output);
    assert.match(ended.output, /STRESS ✘ FAIL/, ended.output.slice(-3000));
    assert.match(ended.output, /not taking records|timed out|Kafka/, ended.output.slice(-3000));
    assert.doesNotMatch(ended.output, /lost ids 0, 0/);
  });

  it("a bench stopped by SIGINT to its own process takes its peers' processes with it", async () => {
    const env = await brokerUp(uniqueName('end-signal'));
    const child = spawn(
      process.execPath,
      [path.join(projectRoot, 'bin', 'sluice.js'), 'bench', 'latency', '--quick'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (b: Buffer) => (output += b));
    const closed = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
    try {
      // The first peer is Sluice: TaskManager processes the bench started, working when the signal
      // comes (a Kafka Streams JVM is a process below the bench the same way, and goes the same way).
      const peers = await eventually(
        "the first peer's TaskManagers running under the bench",
        () => {
          const below = descendantsOf(child.pid ?? -1);
          return below.filter((pid) => isOurProcessAlive(pid, ' taskmanager ')).length >= 4
            ? below
            : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      child.kill('SIGINT');
      const code = await within(closed, 30_000, 'the bench to end after SIGINT');
      assert.equal(code, 130, output.slice(-2000));
      assert.match(output, /bench: stopped by SIGINT/);
      await eventually('every process the bench started gone', () =>
        // Any command line: running at all (a zombie, exited but not yet reaped, counts as gone).
        peers.every((pid) => !isOurProcessAlive(pid, '')) ? true : undefined,
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a JobManager port already taken stops start-up at once, naming the port and its setting', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      for (const command of ['run', 'stress']) {
        const result = await runCli([command, '--messages', '1000'], {
          SLUICE_MANAGE_INFRA: 'false',
          SLUICE_JOBMANAGER_PORT: String(port),
        });
        assert.equal(result.code, 4, `${command}: ${result.stderr}`);
        assert.match(
          result.stderr,
          new RegExp(`SLUICE_ERR_INFRA_PORT_IN_USE: Port ${port} .*SLUICE_JOBMANAGER_PORT`),
        );
        assert.doesNotMatch(
          result.stdout + result.stderr,
          /lost/,
          `${command}: no verdict of a run that never ran`,
        );
      }
    } finally {
      holder.close();
    }
  });
});
