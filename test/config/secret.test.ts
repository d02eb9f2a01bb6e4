// A configuration that holds passwords can be printed, serialized and logged without showing
// them: every way a config reaches a log line or a file shows "[redacted]".

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { format, inspect } from 'node:util';
import { loadConfig } from '../../src/config/load-config.js';
import { REDACTED, Secret } from '../../src/config/secret.js';
import type { RawSettings } from '../../src/config/settings.js';
import { createLogger } from '../../src/logging/logger.js';

const KAFKA_PASSWORD = 'kafka-Pa55word-1';
const REDIS_PASSWORD = 'redis-Pa55word-2';

const raw: RawSettings = {
  kafkaSecurityProtocol: { value: 'SASL_SSL', source: 'env' },
  kafkaSaslMechanism: { value: 'SCRAM-SHA-512', source: 'flag' },
  kafkaSaslUsername: { value: 'sluice', source: 'env' },
  kafkaSaslPassword: { value: KAFKA_PASSWORD, source: 'env' },
  redisUrl: { value: `rediss://app:${REDIS_PASSWORD}@redis.example:6390`, source: 'flag' },
};
const config = loadConfig(raw, { projectRoot: '/opt/sluice' });

function assertNoSecret(text: string, how: string): void {
  assert.ok(!text.includes(KAFKA_PASSWORD), `${how} shows the Kafka password:\n${text}`);
  assert.ok(!text.includes(REDIS_PASSWORD), `${how} shows the Redis password:\n${text}`);
}

describe('secrets in the configuration', () => {
  it('are held, and handed out only by reveal()', () => {
    assert.equal(config.kafka.security.sasl?.password.reveal(), KAFKA_PASSWORD);
    assert.equal(config.redis.password?.reveal(), REDIS_PASSWORD);
  });

  it('are redacted in JSON, util.inspect, format and template strings', () => {
    assertNoSecret(JSON.stringify(config), 'JSON.stringify');
    assertNoSecret(inspect(config, { depth: null }), 'util.inspect');
    assertNoSecret(format('%o %O %s %j', config, config, config.redis.password, config), 'util.format');
    assertNoSecret(`${config.kafka.security.sasl?.password} ${config.redis.password}`, 'a template string');
    assert.ok(JSON.stringify(config).includes(REDACTED), 'the redaction is visible');
  });

  it('are redacted in JSON log lines (pino)', async () => {
    let written = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ format: 'json', level: 'info' }, sink);
    logger.info({ config, security: config.kafka.security, redis: config.redis }, 'configuration');
    logger.flush();
    await new Promise((resolve) => setImmediate(resolve));
    assert.match(written, /"configuration"/);
    assertNoSecret(written, 'the JSON log');
  });

  it('keep the file they came from, which is not secret', () => {
    const secret = new Secret('x', '/run/secrets/kafka');
    assert.equal(secret.file, '/run/secrets/kafka');
    assert.equal(JSON.stringify({ secret }), `{"secret":"${REDACTED}"}`);
  });
});
