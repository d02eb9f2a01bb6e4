import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverProperties } from '../../../src/infra/kafka/server-properties.js';

function parse(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf('=');
    assert.ok(!map.has(line.slice(0, i)), `duplicate key ${line.slice(0, i)}`);
    map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

describe('serverProperties', () => {
  const props = parse(serverProperties({ port: 19092, controllerPort: 19093, dataDir: '/d' }));

  it('describes one combined KRaft node on loopback', () => {
    assert.equal(props.get('process.roles'), 'broker,controller');
    assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:19093');
    assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    assert.equal(props.get('advertised.listeners'), 'PLAINTEXT://127.0.0.1:19092');
    assert.equal(props.get('log.dirs'), '/d');
  });

  it('sizes internal topics for a single replica', () => {
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'share.coordinator.state.topic.replication.factor',
      'share.coordinator.state.topic.min.isr',
    ]) {
      assert.equal(props.get(key), '1', key);
    }
  });

  it('allows fast failover: session within bounds, heartbeat below session', () => {
    const n = (k: string) => Number(props.get(k));
    assert.ok(n('group.consumer.min.session.timeout.ms') <= n('group.consumer.session.timeout.ms'));
    assert.ok(n('group.consumer.min.heartbeat.interval.ms') <= n('group.consumer.heartbeat.interval.ms'));
    assert.ok(n('group.consumer.heartbeat.interval.ms') < n('group.consumer.session.timeout.ms'));
    assert.ok(n('group.consumer.session.timeout.ms') <= 10_000, 'takeover within seconds');
    assert.ok(n('group.min.session.timeout.ms') <= 6000, 'the classic client session of 6 s is allowed');
  });

  it('does not restrict the group protocols (classic and consumer stay enabled)', () => {
    assert.equal(props.has('group.coordinator.rebalance.protocols'), false);
  });
});

describe('serverProperties with secured listeners', () => {
  const secured = {
    saslSslPort: 19094,
    mtlsPort: 19095,
    keystore: { location: '/tls/server.p12', password: 'ks-pass' },
    clientCaLocation: '/tls/ca.pem',
    users: [
      { name: 'alice', password: 'a-pass' },
      { name: 'bob', password: 'b-pass' },
    ],
  };
  const props = parse(serverProperties({ port: 19092, controllerPort: 19093, dataDir: '/d', secured }));

  it('adds a SASL_SSL and a mutual-TLS listener beside PLAINTEXT, which brokers keep between them', () => {
    assert.equal(
      props.get('listeners'),
      'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093,SASL_SSL://127.0.0.1:19094,MTLS://127.0.0.1:19095',
    );
    assert.equal(
      props.get('advertised.listeners'),
      'PLAINTEXT://127.0.0.1:19092,SASL_SSL://127.0.0.1:19094,MTLS://127.0.0.1:19095',
    );
    assert.equal(
      props.get('listener.security.protocol.map'),
      'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,MTLS:SSL',
    );
    assert.equal(props.get('inter.broker.listener.name'), 'PLAINTEXT');
  });

  it('enables PLAIN and SCRAM-SHA-256, PLAIN users from the JAAS line, and asks the mutual-TLS client for its certificate', () => {
    assert.equal(props.get('listener.name.sasl_ssl.sasl.enabled.mechanisms'), 'PLAIN,SCRAM-SHA-256');
    assert.match(
      props.get('listener.name.sasl_ssl.plain.sasl.jaas.config') ?? '',
      /PlainLoginModule required user_alice="a-pass" user_bob="b-pass";$/,
    );
    assert.equal(props.get('listener.name.sasl_ssl.ssl.keystore.location'), '/tls/server.p12');
    assert.equal(props.get('listener.name.mtls.ssl.client.auth'), 'required');
    assert.equal(props.get('listener.name.mtls.ssl.truststore.location'), '/tls/ca.pem');
  });

  it('refuses a user password that would need escaping in JAAS and in the properties file', () => {
    assert.throws(
      () =>
        serverProperties({
          port: 1,
          controllerPort: 2,
          dataDir: '/d',
          secured: { ...secured, users: [{ name: 'eve', password: 'has"quote' }] },
        }),
      /letters, digits/,
    );
  });
});
