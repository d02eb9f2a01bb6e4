// Removes members from a consumer group by member id: a LeaveGroup sent on their behalf. The
// JobManager does this for a TaskManager whose process it saw end, so that its partitions move at
// once instead of when the broker's session timeout expires (3 s for the `consumer` protocol on
// Sluice's broker, 6 s for `classic`). Since Kafka 4.0 (KAFKA-18188) the coordinator accepts it for
// `consumer`-protocol members too; `classic` groups always did.
//
// librdkafka, and so @confluentinc/kafka-javascript, has no call that sends it (its admin API
// removes only static members, and only in the Java client). @platformatic/kafka is a pure
// JavaScript client whose admin does: it is used for this one request and nothing else, so no
// record ever passes through it.

import { readFileSync } from 'node:fs';
import { Admin, type AdminOptions } from '@platformatic/kafka';
import { describeCause, SluiceError } from '../../errors/sluice-error.js';
import type { KafkaClientOptions, KafkaSecurity } from './client-config.js';

/** One removal's whole budget: past it the broker's session timeout is as quick. */
const REQUEST_TIMEOUT_MS = 3_000;

export interface GroupMemberRemover {
  /** Removes the members; rejects with a KAFKA_ADMIN_FAILED that says why when the broker refused. */
  remove(groupId: string, memberIds: readonly string[], reason: string): Promise<void>;
  close(): Promise<void>;
}

export class KafkaGroupMemberRemover implements GroupMemberRemover {
  readonly #options: KafkaClientOptions;
  #admin: Admin | undefined;

  constructor(options: KafkaClientOptions) {
    this.#options = options;
  }

  /** Opens the connection ahead of the first removal, which then costs only the requests. */
  warmUp(): void {
    this.#client()
      .metadata({ topics: [] })
      .catch(() => {});
  }

  async remove(groupId: string, memberIds: readonly string[], reason: string): Promise<void> {
    if (memberIds.length === 0) return;
    try {
      await this.#client().removeMembersFromConsumerGroup({
        groupId,
        members: memberIds.map((memberId) => ({ memberId, reason })),
      });
    } catch (error) {
      throw new SluiceError(
        'KAFKA_ADMIN_FAILED',
        `Could not remove members ${memberIds.join(', ')} from group '${groupId}' on ${this.#options.bootstrapServers}: ${leaveGroupFailure(error)}. The broker drops them when their session times out.`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    await admin?.close().catch(() => {});
  }

  #client(): Admin {
    this.#admin ??= new Admin({
      clientId: this.#options.clientId,
      bootstrapBrokers: this.#options.bootstrapServers.split(',').map((s) => s.trim()),
      connectTimeout: REQUEST_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      timeout: REQUEST_TIMEOUT_MS,
      retries: 1,
      ...connectionSecurity(this.#options.security),
    });
    return this.#admin;
  }
}

/** Sluice's security settings in @platformatic/kafka's terms (the same PEM files librdkafka reads). */
function connectionSecurity(security: KafkaSecurity): Pick<AdminOptions, 'tls' | 'sasl'> {
  const { sasl, ssl } = security;
  const encrypted = security.protocol === 'SSL' || security.protocol === 'SASL_SSL';
  return {
    ...(encrypted
      ? {
          tls: {
            ...(ssl?.caLocation ? { ca: readFileSync(ssl.caLocation) } : {}),
            ...(ssl?.certificateLocation ? { cert: readFileSync(ssl.certificateLocation) } : {}),
            ...(ssl?.keyLocation ? { key: readFileSync(ssl.keyLocation) } : {}),
          },
        }
      : {}),
    ...(sasl
      ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password.reveal() } }
      : {}),
  };
}

/** The client wraps the broker's answer in a MultipleErrors; its inner errors say what happened. */
function leaveGroupFailure(error: unknown): string {
  const inner = (error as { errors?: unknown[] } | undefined)?.errors;
  if (Array.isArray(inner) && inner.length > 0) return inner.map(leaveGroupFailure).join('; ');
  return describeCause(error);
}
