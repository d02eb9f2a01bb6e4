// Redis keeps acknowledged writes across a restart done through the project's own infra code
// (AOF on): the reliability test relies on it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { InfraConfig } from '../../src/config/sluice-config.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { infraDown, infraRestart, infraUp } from '../../src/infra/infra.js';
import { findFreePort } from '../../src/infra/ports.js';
import { findProcesses } from '../../src/infra/process-control.js';
import { testEnv } from '../helpers/test-env.js';

describe('Redis restart', { timeout: 60_000 }, () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-'));
  after(async () => {
    await infraDown(infraConfig(0), { services: ['redis'] }).catch(() => {});
    rmSync(stateDir, { recursive: true, force: true });
  });
  let config: InfraConfig | undefined;
  function infraConfig(redisPort: number): InfraConfig {
    return (
      config ?? {
        stateDir,
        cacheDir: testEnv.cacheDir,
        host: '127.0.0.1',
        kafkaPort: 1,
        kafkaControllerPort: 2,
        kafkaHeap: '256m',
        redisPort,
      }
    );
  }

  it('keeps a written value after `infra restart redis`', async () => {
    const redisConfig = infraConfig(await findFreePort());
    config = redisConfig;
    const [first] = await infraUp(redisConfig, { kafkaTimeoutMs: 1000, services: ['redis'] });
    assert.equal(first?.up, true);
    const url = `redis://127.0.0.1:${redisConfig.redisPort}`;

    const writer = createRedis({ url: url });
    await writer.connect();
    await writer.set('sluice:test:durable', 'kept');
    await writer.incrby('sluice:test:counter', 41);
    await writer.incr('sluice:test:counter');
    writer.disconnect();

    const restarted = await infraRestart(redisConfig, 'redis', { kafkaTimeoutMs: 1000 });
    assert.equal(restarted.up, true);
    assert.notEqual(restarted.pid, first?.pid, 'a new redis-server process');

    const reader = createRedis({ url: url });
    await reader.connect();
    try {
      assert.equal(await reader.get('sluice:test:durable'), 'kept');
      assert.equal(await reader.get('sluice:test:counter'), '42');
    } finally {
      reader.disconnect();
    }

    await infraDown(redisConfig, { services: ['redis'] });
    assert.deepEqual(findProcesses(stateDir), []);
  });
});
