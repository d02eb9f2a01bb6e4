// librdkafka's error log lines for the refusals met against a real secured broker (copied from its
// output), told apart from the lines of a broker that is just not there.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Secret } from '../../../src/config/secret.js';
import { kafkaAuthError, RefusalWatch, refusalIn } from '../../../src/connectors/kafka/auth-failure.js';

const PREFIX = '[thrd:sasl_ssl://127.0.0.1:9093/bootstrap]: sasl_ssl://127.0.0.1:9093/bootstrap: ';

describe('Kafka refusals', () => {
  const cases: [string, RegExp][] = [
    [
      'SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256 (after 308ms in state AUTH_REQ)',
      /^the broker refused the SASL user name or password \(SASL authentication error: Authentication failed/,
    ],
    [
      "SASL SCRAM-SHA-512 mechanism handshake failed: Broker: Unsupported SASL mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-256 (after 301ms in state AUTH_HANDSHAKE)",
      /^the listener does not enable this SASL mechanism/,
    ],
    [
      'SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured (after 33ms in state SSL_HANDSHAKE)',
      /^the broker's certificate could not be verified/,
    ],
    [
      'SSL handshake failed: Disconnected: SSL connection closed by peer: connecting to a PLAINTEXT broker listener? (after 1ms in state SSL_HANDSHAKE)',
      /^a TLS client reached a listener that does not speak TLS/,
    ],
    [
      'Receive failed: error:0A000412:SSL routines::sslv3 alert bad certificate: SSL alert number 42 (after 2ms in state APIVERSION_QUERY)',
      /^the broker refused this client's certificate/,
    ],
  ];
  for (const [line, meaning] of cases) {
    it(`reads "${line.slice(0, 40)}..." as a refusal, without librdkafka's thread prefix`, () => {
      const refusal = refusalIn(`${PREFIX}${line}`);
      assert.match(refusal ?? '', meaning);
      assert.ok(!refusal?.includes('[thrd:'), refusal);
    });
  }

  it('does not read an absent or restarting broker as a refusal', () => {
    for (const line of [
      'Connect to ipv4#127.0.0.1:9092 failed: Connection refused (after 0ms in state CONNECT)',
      'Disconnected (after 1200ms in state UP)',
      '1/1 brokers are down',
    ])
      assert.equal(refusalIn(`${PREFIX}${line}`), undefined, line);
  });

  it('keeps the last refusal a client logged', () => {
    const watch = new RefusalWatch();
    watch.listen({ message: `${PREFIX}Connect to ipv4#127.0.0.1:9093 failed: Connection refused` });
    assert.equal(watch.last, undefined);
    watch.listen({ message: `${PREFIX}SASL authentication error: Authentication failed` });
    assert.match(watch.last ?? '', /SASL user name or password/);
  });

  it('names the user, mechanism and settings to check, never the password', () => {
    const password = 'pa55-w0rd-never-shown';
    const error = kafkaAuthError(
      '127.0.0.1:9093',
      {
        protocol: 'SASL_SSL',
        sasl: { mechanism: 'PLAIN', username: 'alice', password: new Secret(password) },
      },
      'the broker refused the SASL user name or password (SASL authentication error)',
    );
    assert.equal(error.code, 'KAFKA_AUTH_FAILED');
    assert.equal(error.retriable, false);
    assert.match(error.message, /127\.0\.0\.1:9093/);
    assert.match(error.message, /SASL user 'alice' \(PLAIN\)/);
    assert.match(error.message, /SLUICE_KAFKA_SASL_USERNAME/);
    assert.ok(!error.message.includes(password));
    assert.ok(!JSON.stringify(error.details).includes(password));
  });
});
