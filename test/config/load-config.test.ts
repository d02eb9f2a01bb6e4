import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import type { RawSettings, SettingName } from '../../src/config/settings.js';
import { Settings } from '../../src/config/settings.js';
import { SluiceError } from '../../src/errors/sluice-error.js';

const root = '/opt/sluice';
const env = (values: Partial<Record<SettingName, string>>): RawSettings =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, source: 'env' }]));

describe('loadConfig', () => {
  it('gives the seed defaults when nothing is set', () => {
    const config = loadConfig({}, { projectRoot: root });
    assert.equal(config.job.topic, 'flinkdotnet.sample.topic');
    assert.equal(config.job.consumerGroup, 'flinkdotnet-stress-test-consumer-group');
    assert.equal(config.job.sinkCounterKey, 'flinkdotnet:sample:processed_message_counter');
    assert.equal(config.job.globalSequenceKey, 'flinkdotnet:global_sequence_id');
    assert.equal(config.job.partitions, 4);
    assert.equal(config.job.useKafkaSource, false);
    assert.equal(config.ci, false);
    assert.equal(config.kafka.bootstrapServers, '127.0.0.1:9092');
    assert.equal(config.kafka.waitTimeoutMs, 60_000);
    assert.equal(config.redis.url, 'redis://127.0.0.1:6379');
    assert.equal(config.infra.stateDir, '/opt/sluice/.sluice');
    assert.equal(config.infra.cacheDir, '/opt/sluice/.cache');
    assert.equal(config.runtime.checkpointCommit, 'aligned');
  });

  it('takes per-task commits in any case', () => {
    const config = loadConfig(env({ checkpointCommit: ' Per-Task ' }), { projectRoot: root });
    assert.equal(config.runtime.checkpointCommit, 'per-task');
  });

  it('reads the seed variables as written', () => {
    const config = loadConfig(
      env({
        useKafkaSource: 'true',
        topic: 'my.topic',
        consumerGroup: 'g1',
        sinkCounterKey: 'c',
        numMessages: '1000',
        ci: 'TRUE',
      }),
      { projectRoot: root },
    );
    assert.equal(config.job.useKafkaSource, true);
    assert.equal(config.job.topic, 'my.topic');
    assert.equal(config.job.consumerGroup, 'g1');
    assert.equal(config.job.sinkCounterKey, 'c');
    assert.equal(config.job.numMessages, 1000);
    assert.equal(config.ci, true);
  });

  it('derives bootstrap servers and Redis URL from the ports unless given', () => {
    const derived = loadConfig(env({ kafkaPort: '19092', redisPort: '16379' }), { projectRoot: root });
    assert.equal(derived.kafka.bootstrapServers, '127.0.0.1:19092');
    assert.equal(derived.redis.url, 'redis://127.0.0.1:16379');
    const given = loadConfig(env({ kafkaBootstrap: 'a:1,b:2', redisUrl: 'redis://r:7' }), {
      projectRoot: root,
    });
    assert.equal(given.kafka.bootstrapServers, 'a:1,b:2');
    assert.equal(given.redis.url, 'redis://r:7');
  });

  it('parses durations in ms, s and m', () => {
    const ms = (v: string) =>
      loadConfig(env({ kafkaWaitTimeoutMs: v }), { projectRoot: root }).kafka.waitTimeoutMs;
    assert.equal(ms('1500ms'), 1500);
    assert.equal(ms('45s'), 45_000);
    assert.equal(ms('2m'), 120_000);
    assert.equal(ms('250'), 250);
  });

  it('lets a flag override the environment', () => {
    const config = loadConfig(
      { numMessages: { value: '7', source: 'flag' } },
      { projectRoot: root, defaults: { logFormat: 'pretty' } },
    );
    assert.equal(config.job.numMessages, 7);
    assert.equal(config.logging.format, 'pretty');
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig({}, { projectRoot: root });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.job));
  });

  const bad: [SettingName, string][] = [
    ['numMessages', 'abc'],
    ['numMessages', '0'],
    ['numMessages', '-5'],
    ['useKafkaSource', 'maybe'],
    ['ci', 'sometimes'],
    ['topic', 'has space'],
    ['topic', 'x'.repeat(250)],
    ['partitions', '0'],
    ['kafkaPort', '70000'],
    ['kafkaBootstrap', 'localhost'],
    ['kafkaWaitTimeoutMs', 'soon'],
    ['redisUrl', 'http://x'],
    ['logFormat', 'xml'],
    ['logLevel', 'loud'],
    ['consumerGroup', '   '],
    ['kafkaDebug', 'cgrp,everything'],
    ['checkpointCommit', 'sometimes'],
  ];
  for (const [name, value] of bad) {
    it(`rejects ${Settings[name].env}=${JSON.stringify(value.slice(0, 20))} naming the variable, value and accepted form`, () => {
      assert.throws(
        () => loadConfig(env({ [name]: value }), { projectRoot: root }),
        (error: unknown) => {
          assert.ok(error instanceof SluiceError);
          assert.equal(error.code, 'CONFIG_INVALID');
          assert.equal(error.exitCode, 2);
          assert.match(error.message, new RegExp(`environment variable ${Settings[name].env}`));
          assert.ok(error.message.includes(JSON.stringify(value)), 'names the value');
          assert.ok(error.message.includes(Settings[name].accepted), 'names the accepted form');
          return true;
        },
      );
    });
  }

  it("takes librdkafka's debug contexts for the Kafka clients, none by default", () => {
    assert.equal(loadConfig({}, { projectRoot: root }).kafka.debug, undefined);
    const config = loadConfig(env({ kafkaDebug: ' CGRP, eos ' }), { projectRoot: root });
    assert.equal(config.kafka.debug, 'cgrp,eos');
  });

  it('names the flag when the bad value came from a flag', () => {
    assert.throws(
      () => loadConfig({ numMessages: { value: 'x', source: 'flag' } }, { projectRoot: root }),
      /flag --messages: got "x"/,
    );
  });

  it('reports every problem at once', () => {
    assert.throws(
      () => loadConfig(env({ numMessages: 'x', ci: 'y' }), { projectRoot: root }),
      (error: unknown) => error instanceof SluiceError && /2 problems/.test(error.message),
    );
  });

  it('rejects the broker and controller on the same port', () => {
    assert.throws(
      () => loadConfig(env({ kafkaPort: '9000', kafkaControllerPort: '9000' }), { projectRoot: root }),
      /SLUICE_KAFKA_PORT and SLUICE_KAFKA_CONTROLLER_PORT are both 9000/,
    );
  });
});
