// The seed's "1-minute Kafka setup wait", done for real: a metadata request to the broker (not a
// client-local call) every second until it answers and, when a topic is named, every partition
// has a leader. On timeout it stops with KAFKA_NOT_READY instead of "proceeding anyway"; a broker
// that refuses this client's credentials or TLS handshake stops it at once with KAFKA_AUTH_FAILED.

import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors/sluice-error.js';
import type { EventLog } from '../../logging/event-log.js';
import { kafkaAuthError, RefusalWatch } from './auth-failure.js';
import { baseClientConfig, describeKafkaError, type KafkaConnection } from './client-config.js';
import { type Metadata, Producer } from './rdkafka.js';

export interface ProbeResult {
  ok: boolean;
  brokers: number;
  /** Why the attempt did not count as ready. */
  reason?: string;
  /** The broker refused this client (credentials, TLS): waiting will not help. */
  refusal?: string;
}

/** One metadata round trip to the broker, bounded by timeoutMs. */
export async function probeKafka(
  connection: KafkaConnection,
  timeoutMs: number,
  topic?: string,
): Promise<ProbeResult> {
  const client = new Producer({
    ...baseClientConfig({ ...connection, clientId: 'sluice-readiness' }),
    'socket.connection.setup.timeout.ms': Math.max(1000, timeoutMs),
  });
  // Connection failures are answered through connect()'s callback; keep them off stderr.
  client.on('event.error', () => {});
  const refusals = new RefusalWatch();
  client.on('event.log', refusals.listen);
  try {
    const metadata = await new Promise<Metadata>((resolve, reject) => {
      client.connect({ timeout: timeoutMs, ...(topic ? { topic } : { allTopics: false }) }, (err, data) =>
        err ? reject(err) : resolve(data),
      );
    });
    const brokers = metadata.brokers.length;
    if (brokers === 0)
      return { ok: false, brokers, reason: 'the broker answered with no brokers in its metadata' };
    if (topic === undefined) return { ok: true, brokers };
    const described = metadata.topics.find((t) => t.name === topic);
    if (!described || described.partitions.length === 0) {
      return { ok: false, brokers, reason: `topic '${topic}' does not exist yet` };
    }
    const leaderless = described.partitions.filter((p) => p.leader < 0).map((p) => p.id);
    if (leaderless.length > 0) {
      return {
        ok: false,
        brokers,
        reason: `topic '${topic}' partitions [${leaderless.join(', ')}] have no leader yet`,
      };
    }
    return { ok: true, brokers };
  } catch (error) {
    const refusal = refusals.last;
    return refusal
      ? { ok: false, brokers: 0, reason: refusal, refusal }
      : { ok: false, brokers: 0, reason: describeKafkaError(error) };
  } finally {
    await new Promise<void>((resolve) => {
      if (!client.isConnected()) return resolve();
      client.disconnect(2000, () => resolve());
    });
  }
}

export interface WaitForKafkaOptions extends KafkaConnection {
  timeoutMs: number;
  /** When set, also wait until this topic exists and all its partitions have a leader. */
  topic?: string;
  /** Time between the starts of two attempts. */
  intervalMs?: number;
  events: EventLog;
  /** Lets a caller give up early, e.g. when the broker process it started has died. */
  stillWorthWaiting?: () => string | undefined;
}

export interface KafkaReady {
  elapsedMs: number;
  attempts: number;
}

export async function waitForKafka(options: WaitForKafkaOptions): Promise<KafkaReady> {
  const { bootstrapServers, timeoutMs, topic, events } = options;
  const intervalMs = options.intervalMs ?? 1000;
  const maxAttempts = Math.max(1, Math.ceil(timeoutMs / intervalMs));
  const started = Date.now();
  events.emit({ type: 'kafka.wait.started', bootstrapServers, timeoutMs, ...(topic ? { topic } : {}) });
  let lastReason = 'no attempt was made';
  let attempts = 0;
  let refusedBefore = false;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const attemptStart = Date.now();
    const remaining = timeoutMs - (attemptStart - started);
    if (remaining <= 0) break;
    attempts = attempt;
    const result = await probeKafka(options, Math.min(intervalMs, remaining), topic);
    const elapsedMs = Date.now() - started;
    if (result.ok) {
      events.emit({
        type: 'kafka.wait.ready',
        bootstrapServers,
        attempt,
        elapsedMs,
        brokers: result.brokers,
      });
      return { elapsedMs, attempts: attempt };
    }
    lastReason = result.reason ?? 'not ready';
    // Twice in a row: one refused handshake can be a broker going down in the middle of it.
    if (result.refusal && refusedBefore) {
      events.emit({
        type: 'kafka.wait.refused',
        bootstrapServers,
        attempts: attempt,
        elapsedMs,
        error: result.refusal,
      });
      throw kafkaAuthError(bootstrapServers, options.security, result.refusal);
    }
    refusedBefore = result.refusal !== undefined;
    const giveUp = options.stillWorthWaiting?.();
    if (giveUp !== undefined) {
      lastReason = giveUp;
      break;
    }
    if (attempt < maxAttempts) {
      events.emit({
        type: 'kafka.wait.attempt_failed',
        bootstrapServers,
        attempt,
        maxAttempts,
        elapsedMs,
        error: lastReason,
      });
      const nextStart = attemptStart + intervalMs;
      const pause = Math.min(nextStart, started + timeoutMs) - Date.now();
      if (pause > 0) await sleep(pause);
    }
  }
  const elapsedMs = Date.now() - started;
  events.emit({
    type: 'kafka.wait.timed_out',
    bootstrapServers,
    attempts,
    elapsedMs,
    timeoutMs,
    error: lastReason,
  });
  throw new SluiceError(
    'KAFKA_NOT_READY',
    `Kafka at ${bootstrapServers} was not ready after ${elapsedMs}ms (timeout ${timeoutMs}ms): ${lastReason}. ` +
      'Fix: start the broker with `npx sluice infra up` (or check `npx sluice infra status`), make sure ' +
      'SLUICE_KAFKA_BOOTSTRAP points at it, or raise SLUICE_KAFKA_WAIT_TIMEOUT if it is just slow to start.',
    { details: { bootstrapServers, timeoutMs, elapsedMs, lastReason, ...(topic ? { topic } : {}) } },
  );
}
