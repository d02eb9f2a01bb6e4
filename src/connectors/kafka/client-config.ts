// librdkafka settings shared by every Sluice client, and the translation of librdkafka's
// callback-style errors into SluiceErrors.

import type { GlobalConfig, LibrdKafkaError } from './rdkafka.js';

export interface KafkaClientOptions {
  bootstrapServers: string;
  /** Shows up in broker logs and `describe group`, e.g. "sluice-TM-07". */
  clientId: string;
}

export function baseClientConfig(options: KafkaClientOptions): GlobalConfig {
  return {
    'bootstrap.servers': options.bootstrapServers,
    'client.id': options.clientId,
    // Loopback brokers are advertised as 127.0.0.1; never try ::1.
    'broker.address.family': 'v4',
    // A broker restart is part of the reliability test: reconnect quickly, without log noise.
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 2000,
    'log.connection.close': false,
    // librdkafka's own log lines go to the `event.log` listener, not straight to stderr.
    log_level: 3,
  };
}

/** librdkafka reports errors as plain objects; this gives them a readable one-line form. */
export function describeKafkaError(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    const e = error as LibrdKafkaError;
    return e.code !== undefined ? `${e.message} (code ${e.code})` : e.message;
  }
  return String(error);
}
