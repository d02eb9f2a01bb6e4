// Every rule that ties the Kafka and Redis security settings together, one test each: a broken
// rule stops start-up with CONFIG_INVALID naming the setting and the fix, and never the secret.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { Secret } from '../../src/config/secret.js';
import type { RawSettings, SettingName } from '../../src/config/settings.js';
import type { SluiceConfig } from '../../src/config/sluice-config.js';
import { SluiceError } from '../../src/errors/sluice-error.js';

const PASSWORD = 'hunter2-Sekr3t';
const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-security-config-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const ca = file('ca.pem', PEM);
const cert = file('client.pem', PEM);
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');

const env = (values: Partial<Record<SettingName, string>>): RawSettings =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, source: 'env' }]));
const load = (values: Partial<Record<SettingName, string>>): SluiceConfig =>
  loadConfig(env(values), { projectRoot: dir });

/** Asserts CONFIG_INVALID whose message matches every pattern and holds no secret. */
function rejects(values: Partial<Record<SettingName, string>>, ...patterns: RegExp[]): void {
  assert.throws(
    () => load(values),
    (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'CONFIG_INVALID');
      for (const pattern of patterns) assert.match(error.message, pattern);
      assert.ok(!error.message.includes(PASSWORD), `the message shows the password:\n${error.message}`);
      assert.ok(!JSON.stringify(error.details).includes(PASSWORD), 'the details show the password');
      return true;
    },
  );
}

const SCRAM = {
  kafkaSecurityProtocol: 'SASL_SSL',
  kafkaSaslMechanism: 'SCRAM-SHA-256',
  kafkaSaslUsername: 'sluice',
  kafkaSaslPassword: PASSWORD,
} as const;

after(() => rmSync(dir, { recursive: true, force: true }));

describe('Kafka security settings', () => {
  it('default to PLAINTEXT with no credentials and no TLS files', () => {
    assert.deepEqual({ ...load({}).kafka.security }, { protocol: 'PLAINTEXT' });
  });

  it('take SASL_SSL with SCRAM, a user and a password (any case for the names)', () => {
    const security = load({
      ...SCRAM,
      kafkaSecurityProtocol: 'sasl_ssl',
      kafkaSaslMechanism: 'scram-sha-256',
    }).kafka.security;
    assert.equal(security.protocol, 'SASL_SSL');
    assert.equal(security.sasl?.mechanism, 'SCRAM-SHA-256');
    assert.equal(security.sasl?.username, 'sluice');
    assert.ok(security.sasl?.password instanceof Secret);
    assert.equal(security.sasl?.password.reveal(), PASSWORD);
    assert.equal(security.sasl?.password.file, undefined);
  });

  it('read the password from a file at start, without its trailing newline', () => {
    for (const [name, text] of [
      ['unix', `${PASSWORD}\n`],
      ['windows', `${PASSWORD}\r\n`],
      ['bare', PASSWORD],
    ] as const) {
      const location = file(`kafka-password-${name}`, text);
      const { kafkaSaslPassword: _, ...rest } = SCRAM;
      const sasl = load({ ...rest, kafkaSaslPasswordFile: location }).kafka.security.sasl;
      assert.equal(sasl?.password.reveal(), PASSWORD, name);
      assert.equal(sasl?.password.file, location, 'children are pointed at the same file');
    }
  });

  it('keep spaces inside a password file, only the last newline goes', () => {
    const location = file('kafka-password-spaces', ` ${PASSWORD} \n\n`);
    const { kafkaSaslPassword: _, ...rest } = SCRAM;
    assert.equal(
      load({ ...rest, kafkaSaslPasswordFile: location }).kafka.security.sasl?.password.reveal(),
      ` ${PASSWORD} \n`,
    );
  });

  it('reject a SASL protocol without a mechanism', () => {
    const { kafkaSaslMechanism: _, ...rest } = SCRAM;
    rejects(
      rest,
      /SLUICE_KAFKA_SECURITY_PROTOCOL .* is SASL_SSL but SLUICE_KAFKA_SASL_MECHANISM/,
      /Fix: set it/,
    );
  });

  it('reject a SASL protocol without a user name', () => {
    const { kafkaSaslUsername: _, ...rest } = SCRAM;
    rejects(rest, /is SASL_SSL but SLUICE_KAFKA_SASL_USERNAME .* is not set/);
  });

  it('reject a SASL protocol without a password', () => {
    const { kafkaSaslPassword: _, ...rest } = SCRAM;
    rejects(
      { ...rest, kafkaSecurityProtocol: 'SASL_PLAINTEXT' },
      /is SASL_PLAINTEXT but no password is given/,
      /SLUICE_KAFKA_SASL_PASSWORD_FILE/,
    );
  });

  it('reject a password given both inline and as a file', () => {
    rejects(
      { ...SCRAM, kafkaSaslPasswordFile: file('both', PASSWORD) },
      /both SLUICE_KAFKA_SASL_PASSWORD and SLUICE_KAFKA_SASL_PASSWORD_FILE .* are set/,
    );
  });

  it('reject a password file that does not exist, is a directory or is empty', () => {
    const { kafkaSaslPassword: _, ...rest } = SCRAM;
    const missing = path.join(dir, 'no-such-file');
    rejects(
      { ...rest, kafkaSaslPasswordFile: missing },
      /SLUICE_KAFKA_SASL_PASSWORD_FILE .*: ".*no-such-file" does not exist/,
    );
    const folder = path.join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    rejects({ ...rest, kafkaSaslPasswordFile: folder }, /"[^"]*a-folder" is a directory/);
    rejects({ ...rest, kafkaSaslPasswordFile: file('empty', '\n') }, /"[^"]*empty" is empty/);
  });

  it('reject a password file it may not read', {
    skip: process.getuid?.() === 0 && 'root reads any file',
  }, () => {
    const { kafkaSaslPassword: _, ...rest } = SCRAM;
    const locked = file('locked', PASSWORD);
    chmodSync(locked, 0o000);
    rejects({ ...rest, kafkaSaslPasswordFile: locked }, /cannot be read \(permission denied\)/);
  });

  it('reject SASL settings with a protocol that sends no credentials', () => {
    for (const protocol of ['PLAINTEXT', 'SSL']) {
      rejects(
        { ...SCRAM, kafkaSecurityProtocol: protocol },
        new RegExp(
          `SLUICE_KAFKA_SASL_MECHANISM, SLUICE_KAFKA_SASL_USERNAME, SLUICE_KAFKA_SASL_PASSWORD are set, but .* is ${protocol}, which sends no credentials`,
        ),
      );
    }
    rejects({ kafkaSaslUsername: 'sluice' }, /SLUICE_KAFKA_SASL_USERNAME is set, but .* is PLAINTEXT/);
  });

  it('reject TLS files with a protocol that does not use TLS', () => {
    rejects(
      { kafkaSslCaLocation: ca },
      /SLUICE_KAFKA_SSL_CA_LOCATION is set, but .* is PLAINTEXT, which does not use TLS/,
    );
    rejects(
      { ...SCRAM, kafkaSecurityProtocol: 'SASL_PLAINTEXT', kafkaSslCaLocation: ca },
      /is SASL_PLAINTEXT, which does not use TLS/,
    );
  });

  it('reject a client certificate without its key, and a key without its certificate', () => {
    rejects(
      { kafkaSecurityProtocol: 'SSL', kafkaSslCertificateLocation: cert },
      /SLUICE_KAFKA_SSL_CERTIFICATE_LOCATION .* is set without SLUICE_KAFKA_SSL_KEY_LOCATION/,
    );
    rejects(
      { kafkaSecurityProtocol: 'SSL', kafkaSslKeyLocation: key },
      /SLUICE_KAFKA_SSL_KEY_LOCATION .* is set without SLUICE_KAFKA_SSL_CERTIFICATE_LOCATION/,
    );
  });

  it('reject TLS files that do not exist or are not PEM', () => {
    rejects(
      { kafkaSecurityProtocol: 'SSL', kafkaSslCaLocation: path.join(dir, 'missing-ca.pem') },
      /SLUICE_KAFKA_SSL_CA_LOCATION .*: "[^"]*missing-ca.pem" does not exist/,
    );
    rejects(
      {
        kafkaSecurityProtocol: 'SSL',
        kafkaSslCertificateLocation: file('der.crt', 'binary'),
        kafkaSslKeyLocation: key,
      },
      /SLUICE_KAFKA_SSL_CERTIFICATE_LOCATION .*: "[^"]*der.crt" is not in PEM form/,
    );
  });

  it('take SSL with a CA and a client certificate and key, as absolute paths', () => {
    const relative = path.relative(process.cwd(), ca);
    const security = load({
      kafkaSecurityProtocol: 'SSL',
      kafkaSslCaLocation: relative,
      kafkaSslCertificateLocation: cert,
      kafkaSslKeyLocation: key,
    }).kafka.security;
    assert.deepEqual(
      { ...security, ssl: { ...security.ssl } },
      { protocol: 'SSL', ssl: { caLocation: ca, certificateLocation: cert, keyLocation: key } },
    );
  });

  it('reject an unknown protocol or mechanism with the accepted forms', () => {
    rejects(
      { kafkaSecurityProtocol: 'TLS' },
      /SLUICE_KAFKA_SECURITY_PROTOCOL: got "TLS"; expected PLAINTEXT \(default\), SSL/,
    );
    rejects(
      { ...SCRAM, kafkaSaslMechanism: 'GSSAPI' },
      /SLUICE_KAFKA_SASL_MECHANISM: got "GSSAPI"; expected PLAIN/,
    );
  });
});

describe('Redis security settings', () => {
  it('move a password in the URL out of it, so the URL kept is free of secrets', () => {
    const redis = load({ redisUrl: `redis://:${encodeURIComponent(`${PASSWORD}@x`)}@10.0.0.5:6380/2` }).redis;
    assert.equal(redis.url, 'redis://10.0.0.5:6380/2');
    assert.equal(redis.password?.reveal(), `${PASSWORD}@x`);
    assert.equal(redis.username, undefined);
  });

  it('move a user and password in the URL out of it', () => {
    const redis = load({ redisUrl: `rediss://app:${PASSWORD}@redis.example:6390` }).redis;
    assert.equal(redis.url, 'rediss://redis.example:6390');
    assert.equal(redis.username, 'app');
    assert.equal(redis.password?.reveal(), PASSWORD);
  });

  it('take the user and the password (inline or from a file) from their own settings', () => {
    const inline = load({ redisUsername: 'app', redisPassword: PASSWORD }).redis;
    assert.equal(inline.username, 'app');
    assert.equal(inline.password?.reveal(), PASSWORD);
    const fromFile = load({ redisPasswordFile: file('redis-password', `${PASSWORD}\n`) }).redis;
    assert.equal(fromFile.password?.reveal(), PASSWORD);
    assert.equal(fromFile.password?.file, path.join(dir, 'redis-password'));
  });

  it('reject a password both in the URL and in its setting', () => {
    rejects(
      { redisUrl: `redis://:${PASSWORD}@h:1`, redisPassword: `${PASSWORD}-2` },
      /SLUICE_REDIS_URL holds a password and SLUICE_REDIS_PASSWORD gives one too/,
    );
    rejects(
      { redisUrl: `redis://:${PASSWORD}@h:1`, redisPasswordFile: file('redis-pw-2', 'x') },
      /SLUICE_REDIS_URL holds a password and SLUICE_REDIS_PASSWORD_FILE .* gives one too/,
    );
  });

  it('reject a password given both inline and as a file', () => {
    rejects(
      { redisPassword: PASSWORD, redisPasswordFile: file('redis-pw-3', 'x') },
      /both SLUICE_REDIS_PASSWORD and SLUICE_REDIS_PASSWORD_FILE .* are set/,
    );
  });

  it('reject a password file that does not exist', () => {
    rejects(
      { redisPasswordFile: path.join(dir, 'nope') },
      /SLUICE_REDIS_PASSWORD_FILE .*: "[^"]*nope" does not exist/,
    );
  });

  it('reject a user without a password, and two different users', () => {
    rejects({ redisUsername: 'app' }, /the Redis user 'app' has no password/);
    rejects(
      { redisUrl: `redis://app:${PASSWORD}@h:1`, redisUsername: 'other' },
      /SLUICE_REDIS_URL names user 'app' and SLUICE_REDIS_USERNAME .* names 'other'/,
    );
  });

  it('take a private CA for rediss:// and reject it for redis://', () => {
    assert.equal(load({ redisUrl: 'rediss://h:1', redisTlsCa: ca }).redis.tlsCaLocation, ca);
    rejects(
      { redisUrl: 'redis://h:1', redisTlsCa: ca },
      /SLUICE_REDIS_TLS_CA .* is set, but SLUICE_REDIS_URL is a redis:\/\/ URL/,
    );
    rejects(
      { redisUrl: 'rediss://h:1', redisTlsCa: path.join(dir, 'none.pem') },
      /"[^"]*none.pem" does not exist/,
    );
  });

  it('mask the password of a URL it rejects', () => {
    rejects(
      { redisUrl: `redis://:${PASSWORD}@bad host:1` },
      /SLUICE_REDIS_URL: got "redis:\/\/:\*\*\*@bad host:1"/,
    );
  });

  it('never quote a rejected password', () => {
    rejects({ kafkaSaslPassword: PASSWORD }, /SLUICE_KAFKA_SASL_PASSWORD is set, but/);
    rejects({ redisPassword: '' }, /SLUICE_REDIS_PASSWORD: got a value of 0 characters \(not shown\)/);
  });
});
