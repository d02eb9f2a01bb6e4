// librdkafka settings shared by every Sluice client (the security settings among them), and the
// translation of librdkafka's callback-style errors into SluiceErrors.

import type { KafkaSecurity } from '../../config/sluice-config.js';
import type { GlobalConfig, LibrdKafkaError } from './rdkafka.js';

export type { KafkaSecurity } from '../../config/sluice-config.js';

export interface KafkaClientOptions {
  bootstrapServers: string;
  /** Shows up in broker logs and `describe group`, e.g. "sluice-TM-07". */
  clientId: string;
  /**
   * How the client authenticates and encrypts. Passed to every client explicitly (no process-wide
   * default): a client built without it does not compile, so none can silently fall back to
   * PLAINTEXT, and one process can hold clients of two clusters (tests do).
   */
  security: KafkaSecurity;
  /**
   * librdkafka debug contexts (`cgrp,eos`, … — SLUICE_KAFKA_DEBUG): the client's own debug lines
   * go to stderr, each prefixed with its client id (see `printClientLog`).
   */
  debug?: string | undefined;
}

/** Where a cluster is and how to talk to it: what every client of it shares. */
export type KafkaConnection = Omit<KafkaClientOptions, 'clientId'>;

/** Sluice's own local broker (`sluice infra up`) and the test broker: no authentication, no TLS. */
export const PLAINTEXT: KafkaSecurity = Object.freeze({ protocol: 'PLAINTEXT' });

export function baseClientConfig(options: KafkaClientOptions): GlobalConfig {
  return {
    'bootstrap.servers': options.bootstrapServers,
    'client.id': options.clientId,
    ...securityClientConfig(options.security),
    // Loopback brokers are advertised as 127.0.0.1; never try ::1.
    'broker.address.family': 'v4',
    // A broker restart is part of the reliability test: reconnect quickly, without log noise.
    'reconnect.backoff.ms': 100,
    'reconnect.backoff.max.ms': 2000,
    'log.connection.close': false,
    // librdkafka's own log lines go to the `event.log` listener, not straight to stderr.
    log_level: 3,
    ...(options.debug ? { debug: options.debug, log_level: 7 } : {}),
  };
}

/** What librdkafka's `event.log` carries. */
interface ClientLogLine {
  severity: number;
  fac: string;
  message: string;
}

/**
 * With debug contexts asked for, prints the client's log lines (librdkafka hands them to
 * `event.log`, which every client listens to for its own reasons) on stderr, where a TaskManager's
 * launcher keeps them in its log file. Without, does nothing.
 */
export function printClientLog(
  client: { on(event: 'event.log', listener: (line: ClientLogLine) => void): unknown },
  options: Pick<KafkaClientOptions, 'clientId' | 'debug'>,
): void {
  if (!options.debug) return;
  client.on('event.log', (line) =>
    process.stderr.write(`librdkafka ${options.clientId} ${line.fac}: ${line.message}\n`),
  );
}

const LIBRDKAFKA_PROTOCOL = {
  PLAINTEXT: 'plaintext',
  SSL: 'ssl',
  SASL_PLAINTEXT: 'sasl_plaintext',
  SASL_SSL: 'sasl_ssl',
} as const;

/** The librdkafka settings for a security configuration; the password is revealed only here. */
export function securityClientConfig(security: KafkaSecurity): GlobalConfig {
  const { sasl, ssl } = security;
  return {
    'security.protocol': LIBRDKAFKA_PROTOCOL[security.protocol],
    ...(sasl
      ? {
          'sasl.mechanisms': sasl.mechanism,
          'sasl.username': sasl.username,
          'sasl.password': sasl.password.reveal(),
        }
      : {}),
    ...(ssl?.caLocation ? { 'ssl.ca.location': ssl.caLocation } : {}),
    ...(ssl?.certificateLocation ? { 'ssl.certificate.location': ssl.certificateLocation } : {}),
    ...(ssl?.keyLocation ? { 'ssl.key.location': ssl.keyLocation } : {}),
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
