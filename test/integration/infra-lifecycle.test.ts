// `sluice infra up | status | down` as a user runs them, on a fresh state dir and free ports:
// up twice (the second reuses), status exits 0 then non-zero after down, nothing of ours is left,
// and with the jars cached no Maven run (so no network) is needed.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findFreePort } from '../../src/infra/ports.js';
import { findProcesses } from '../../src/infra/process-control.js';
import { runCli } from '../helpers/cli.js';
import { testEnv } from '../helpers/test-env.js';

describe('sluice infra', { timeout: 180_000 }, () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-infra-'));
  const shimDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-mvn-shim-'));
  const mvnCalled = path.join(shimDir, 'mvn-was-called');
  let env: NodeJS.ProcessEnv = {};

  after(async () => {
    await runCli(['infra', 'down'], env).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(shimDir, { recursive: true, force: true });
  });

  it('brings Kafka and Redis up, reports them, stops them, and leaves no process behind', async () => {
    // A fake `mvn` first on PATH records any call: with the jars cached there must be none.
    writeFileSync(path.join(shimDir, 'mvn'), `#!/bin/sh\ntouch ${mvnCalled}\nexit 99\n`);
    chmodSync(path.join(shimDir, 'mvn'), 0o755);
    env = {
      SLUICE_STATE_DIR: stateDir,
      SLUICE_CACHE_DIR: testEnv.cacheDir,
      SLUICE_KAFKA_PORT: String(await findFreePort()),
      SLUICE_KAFKA_CONTROLLER_PORT: String(await findFreePort()),
      SLUICE_REDIS_PORT: String(await findFreePort()),
      PATH: `${shimDir}:${process.env.PATH ?? ''}`,
    };

    // A cluster id that starts with '-' (1 in 64 random ones does) once broke storage formatting.
    mkdirSync(path.join(stateDir, 'kafka'), { recursive: true });
    writeFileSync(path.join(stateDir, 'kafka', 'cluster.id'), '-Q0hlY2tMZWFkaW5nRGFzaA\n');

    const up = await runCli(['infra', 'up', '--json'], env);
    assert.equal(up.code, 0, up.stderr);
    const started = JSON.parse(up.stdout) as {
      name: string;
      up: boolean;
      action: string;
      pid: number;
      port: number;
      version: string;
    }[];
    assert.deepEqual(
      started.map((s) => [s.name, s.up, s.action]),
      [
        ['kafka', true, 'started'],
        ['redis', true, 'started'],
      ],
    );
    assert.equal(started[0]?.port, Number(env.SLUICE_KAFKA_PORT));
    assert.equal(started[0]?.version, '4.3.1');
    assert.match(started[1]?.version ?? '', /^\d+\.\d+\.\d+$/);
    assert.equal(existsSync(mvnCalled), false, 'no Maven run when the jars are cached');

    const again = await runCli(['infra', 'up', '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    const reused = JSON.parse(again.stdout) as { action: string; pid: number }[];
    assert.deepEqual(
      reused.map((s) => [s.action, s.pid]),
      started.map((s) => ['reused', s.pid]),
    );

    const status = await runCli(['infra', 'status'], env);
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /kafka\s+up\s+\d+\s+127\.0\.0\.1:\d+\s+4\.3\.1/);
    assert.match(status.stdout, /redis\s+up\s+\d+\s+redis:\/\/127\.0\.0\.1:\d+/);
    assert.equal(findProcesses(stateDir).length, 2, 'exactly the broker and redis-server');

    const down = await runCli(['infra', 'down'], env);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /kafka: stopped/);
    assert.match(down.stdout, /redis: stopped/);
    assert.deepEqual(findProcesses(stateDir), [], 'no broker, controller or redis process of ours');

    const after = await runCli(['infra', 'status'], env);
    assert.notEqual(after.code, 0, 'status exits non-zero when services are down');
    assert.match(after.stdout, /kafka\s+DOWN/);
  });

  it('refuses a port held by someone else, naming the port and the variable', async () => {
    const net = await import('node:net');
    // Accepts connections and never answers: it must neither be mistaken for Redis nor hang us.
    const server = net.createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as { port: number }).port;
    const otherDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-infra-busy-'));
    const busyEnv = { ...env, SLUICE_STATE_DIR: otherDir, SLUICE_REDIS_PORT: String(port) };
    try {
      const result = await runCli(['infra', 'up'], busyEnv, 60_000);
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, new RegExp(`SLUICE_ERR_INFRA_PORT_IN_USE: Port ${port}`));
      assert.match(result.stderr, /SLUICE_REDIS_PORT/);
      assert.deepEqual(findProcesses(otherDir), [], 'nothing was started');
    } finally {
      server.close();
      await runCli(['infra', 'down'], busyEnv);
      rmSync(otherDir, { recursive: true, force: true });
    }
  });
});
