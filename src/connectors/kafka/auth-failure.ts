// Telling "the broker refused us" from "the broker is not there (yet)". librdkafka retries a failed
// SASL login or TLS handshake forever and reports it only in its error log lines; a connect or a
// request then just times out. Watching those lines lets Sluice stop with KAFKA_AUTH_FAILED, which
// says what to fix, instead of waiting out a deadline and blaming the broker's availability.

import type { KafkaSecurity } from '../../config/sluice-config.js';
import { SluiceError } from '../../errors/sluice-error.js';

/** What librdkafka's FAIL lines say when the broker refused this client, and what that means. */
const REFUSALS: readonly { pattern: RegExp; meaning: string }[] = [
  { pattern: /SASL authentication error/, meaning: 'the broker refused the SASL user name or password' },
  {
    pattern: /SASL \S+ mechanism handshake failed/,
    meaning: 'the listener does not enable this SASL mechanism',
  },
  {
    pattern: /certificate verify failed/,
    meaning: "the broker's certificate could not be verified with the CA this client trusts",
  },
  {
    pattern: /connecting to a PLAINTEXT broker listener/,
    meaning: 'a TLS client reached a listener that does not speak TLS',
  },
  {
    pattern: /alert (bad certificate|certificate required|unknown ca)/,
    meaning: "the broker refused this client's certificate (or its absence)",
  },
  { pattern: /SSL handshake failed/, meaning: 'the TLS handshake with the broker failed' },
];

/** The refusal an error log line reports, if it reports one: its meaning and librdkafka's words. */
export function refusalIn(line: string): string | undefined {
  const refusal = REFUSALS.find((r) => r.pattern.test(line));
  if (!refusal) return undefined;
  // "[thrd:sasl_ssl://host:9093/bootstrap]: sasl_ssl://host:9093/bootstrap: SASL ..." -> "SASL ..."
  const detail = line.replace(/^\[thrd:[^\]]*\]:\s*/, '').replace(/^\S+:\/\/\S+:\s*/, '');
  return `${refusal.meaning} (${detail})`;
}

/** Keeps the last refusal a client's log reported; `listen` is its `event.log` listener. */
export class RefusalWatch {
  #last: string | undefined;

  readonly listen = (log: { message: string }): void => {
    const refusal = refusalIn(log.message);
    if (refusal) this.#last = refusal;
  };

  get last(): string | undefined {
    return this.#last;
  }
}

/** KAFKA_AUTH_FAILED for a refusal: names the settings to check and the user, never the password. */
export function kafkaAuthError(
  bootstrapServers: string,
  security: KafkaSecurity,
  refusal: string,
  cause?: unknown,
): SluiceError {
  const user = security.sasl ? ` as SASL user '${security.sasl.username}' (${security.sasl.mechanism})` : '';
  return new SluiceError(
    'KAFKA_AUTH_FAILED',
    `Kafka at ${bootstrapServers} refused this client, connecting with ${security.protocol}${user}: ${refusal}. ` +
      'Fix: check SLUICE_KAFKA_SECURITY_PROTOCOL, SLUICE_KAFKA_SASL_MECHANISM, SLUICE_KAFKA_SASL_USERNAME and the ' +
      'password (SLUICE_KAFKA_SASL_PASSWORD or the file SLUICE_KAFKA_SASL_PASSWORD_FILE names), and ' +
      'SLUICE_KAFKA_SSL_CA_LOCATION, against the listener SLUICE_KAFKA_BOOTSTRAP points at.',
    {
      ...(cause === undefined ? {} : { cause }),
      details: {
        bootstrapServers,
        protocol: security.protocol,
        ...(security.sasl ? { user: security.sasl.username, mechanism: security.sasl.mechanism } : {}),
      },
    },
  );
}
