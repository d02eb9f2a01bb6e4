// What a TaskManager started by the JobManager is given: the same security settings, through its
// environment. Checked as a round trip: the child's own load-config must read back what the parent
// had, whatever it inherited.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readRawSettings } from '../../src/cli/settings-options.js';
import { connectionSecurityEnv } from '../../src/config/connection-env.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { SluiceConfig } from '../../src/config/sluice-config.js';

const PASSWORD = 'child-Sekr3t pass';
const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-connection-env-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

after(() => rmSync(dir, { recursive: true, force: true }));

const load = (env: NodeJS.ProcessEnv): SluiceConfig =>
  loadConfig(readRawSettings(env, {}), { projectRoot: dir });

/** The child's view: what it inherits, with what LocalCluster lays over it. */
function child(parent: SluiceConfig, inherited: NodeJS.ProcessEnv = {}): SluiceConfig {
  const env = { ...inherited, ...connectionSecurityEnv(parent.kafka.security, parent.redis) };
  // As spawn does: a variable set to undefined is not passed at all.
  return load(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)));
}

const sameSecurity = (a: SluiceConfig, b: SluiceConfig) => {
  assert.equal(b.kafka.security.protocol, a.kafka.security.protocol);
  assert.deepEqual(b.kafka.security.ssl, a.kafka.security.ssl);
  assert.equal(b.kafka.security.sasl?.mechanism, a.kafka.security.sasl?.mechanism);
  assert.equal(b.kafka.security.sasl?.username, a.kafka.security.sasl?.username);
  assert.equal(b.kafka.security.sasl?.password.reveal(), a.kafka.security.sasl?.password.reveal());
  assert.equal(b.redis.url, a.redis.url);
  assert.equal(b.redis.username, a.redis.username);
  assert.equal(b.redis.password?.reveal(), a.redis.password?.reveal());
  assert.equal(b.redis.tlsCaLocation, a.redis.tlsCaLocation);
};

describe('the environment of a TaskManager the JobManager starts', () => {
  it('carries SASL_SSL, an inline password, and Redis credentials moved out of the URL', () => {
    const parent = load({
      SLUICE_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      SLUICE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      SLUICE_KAFKA_SASL_USERNAME: 'alice',
      SLUICE_KAFKA_SASL_PASSWORD: PASSWORD,
      SLUICE_KAFKA_SSL_CA_LOCATION: ca,
      SLUICE_REDIS_URL: `rediss://app:${encodeURIComponent(PASSWORD)}@10.0.0.5:6380`,
      SLUICE_REDIS_TLS_CA: ca,
    });
    const env = connectionSecurityEnv(parent.kafka.security, parent.redis);
    assert.equal(env.SLUICE_REDIS_URL, 'rediss://10.0.0.5:6380', 'the URL is passed without its password');
    assert.equal(env.SLUICE_REDIS_PASSWORD, PASSWORD);
    sameSecurity(parent, child(parent));
  });

  it('passes a password read from a file as that file, never its value', () => {
    const kafkaFile = file('kafka.password', `${PASSWORD}\n`);
    const redisFile = file('redis.password', PASSWORD);
    const parent = load({
      SLUICE_KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      SLUICE_KAFKA_SASL_MECHANISM: 'PLAIN',
      SLUICE_KAFKA_SASL_USERNAME: 'alice',
      SLUICE_KAFKA_SASL_PASSWORD_FILE: kafkaFile,
      SLUICE_REDIS_PASSWORD_FILE: redisFile,
    });
    const env = connectionSecurityEnv(parent.kafka.security, parent.redis);
    assert.equal(env.SLUICE_KAFKA_SASL_PASSWORD_FILE, kafkaFile);
    assert.equal(env.SLUICE_REDIS_PASSWORD_FILE, redisFile);
    assert.ok(!Object.values(env).includes(PASSWORD), 'no value of the environment is the password');
    sameSecurity(parent, child(parent));
  });

  it('clears inherited settings this process does not use, so the child cannot combine them', () => {
    const parent = load({
      SLUICE_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      SLUICE_KAFKA_SASL_MECHANISM: 'PLAIN',
      SLUICE_KAFKA_SASL_USERNAME: 'alice',
      SLUICE_KAFKA_SASL_PASSWORD_FILE: file('k.password', PASSWORD),
    });
    // A stale inline password next to the file would be rejected as "both given" by the child.
    const inherited = {
      SLUICE_KAFKA_SASL_PASSWORD: 'stale',
      SLUICE_REDIS_PASSWORD: 'stale',
      SLUICE_REDIS_URL: 'redis://:stale@127.0.0.1:6379',
      SLUICE_KAFKA_SSL_CERTIFICATE_LOCATION: ca,
    };
    const config = child(parent, inherited);
    sameSecurity(parent, config);
    assert.equal(config.redis.password, undefined);
  });

  it('gives PLAINTEXT and no credentials to the children of an unsecured process', () => {
    const parent = load({});
    const config = child(parent, { SLUICE_KAFKA_SECURITY_PROTOCOL: 'SSL', SLUICE_REDIS_USERNAME: 'x' });
    assert.deepEqual({ ...config.kafka.security }, { protocol: 'PLAINTEXT' });
    assert.equal(config.redis.username, undefined);
  });
});

describe("a TaskManager's own Redis address (--redis)", () => {
  it('keeps no password: it is moved to the credentials like the job URL', () => {
    const config = load({ SLUICE_REDIS_URL: `redis://:${PASSWORD.replace(' ', '%20')}@10.1.2.3:6379` });
    assert.equal(config.runtime.taskManagerConnections.redisUrl, 'redis://10.1.2.3:6379');
    assert.equal(config.redis.password?.reveal(), PASSWORD);
    assert.ok(!JSON.stringify(config).includes(PASSWORD), 'the printed configuration shows no password');
  });
});
