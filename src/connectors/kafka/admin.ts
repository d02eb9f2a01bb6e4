// Kafka admin operations Sluice needs: create a topic with N partitions (or check an existing
// one), describe a topic, describe a consumer group (KIP-848 or classic) with each member's
// partitions, and read a group's committed offsets. Promise wrappers over the low-level AdminClient.

import { setTimeout as sleep } from 'node:timers/promises';
import { SluiceError } from '../../errors/sluice-error.js';
import { kafkaAuthError, RefusalWatch } from './auth-failure.js';
import { baseClientConfig, describeKafkaError, type KafkaClientOptions } from './client-config.js';
import { GroupDescriber, type GroupView } from './group-describer.js';
import {
  AdminClient,
  type IAdminClient,
  type LibrdKafkaError,
  type ListOffsetsResult,
  OffsetSpec,
  type TopicDescription,
} from './rdkafka.js';

export type { GroupMemberView, GroupView } from './group-describer.js';

/** UNKNOWN_TOPIC_OR_PART, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER: a new topic still settling. */
const LEADERSHIP_SETTLING = new Set([
  3, 5, 6,
  // FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH: right after a broker (re)start, its partitions'
  // leader epochs settle ("Leader epoch is newer than broker epoch").
  74, 75,
  // Local: No such entry — the client's metadata does not list the new topic's partitions yet.
  -156,
]);
const NO_ENTRY = -156;

/** UNKNOWN_TOPIC_OR_PART: the topic does not exist. */
const UNKNOWN_TOPIC = 3;

/** librdkafka's RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS. */
const TOPIC_ALREADY_EXISTS = 36;

/** The largest dead letter a dead-letter topic Sluice creates takes (its max.message.bytes). */
export const DEAD_LETTER_MAX_BYTES = 16 * 2 ** 20;

export interface TopicView {
  name: string;
  partitions: { id: number; leader: number }[];
}

export class KafkaAdmin {
  readonly #admin: IAdminClient;
  readonly #options: KafkaClientOptions;
  readonly #timeoutMs: number;
  readonly #refusals: RefusalWatch;
  #describer: GroupDescriber | undefined;

  private constructor(
    admin: IAdminClient,
    options: KafkaClientOptions,
    timeoutMs: number,
    refusals: RefusalWatch,
  ) {
    this.#admin = admin;
    this.#options = options;
    this.#timeoutMs = timeoutMs;
    this.#refusals = refusals;
  }

  static create(options: KafkaClientOptions, timeoutMs = 10_000): KafkaAdmin {
    const refusals = new RefusalWatch();
    const admin = AdminClient.create(baseClientConfig(options), {
      'event.error': () => {},
      'event.log': refusals.listen,
    });
    return new KafkaAdmin(admin, options, timeoutMs, refusals);
  }

  /**
   * Creates a dead-letter topic: a dead letter is a source record (its bytes, key and headers) plus
   * Sluice's headers, so its limit is DEAD_LETTER_MAX_BYTES, above the broker's 1 MiB default, or a
   * large record the source took could not be dead-lettered and would hold its partition back.
   */
  createDeadLetterTopic(topic: string, partitions: number): Promise<'created' | 'exists'> {
    return this.createTopic(topic, partitions, { 'max.message.bytes': String(DEAD_LETTER_MAX_BYTES) });
  }

  /** Creates the topic; 'exists' when it was already there (its partition count is not checked). */
  async createTopic(
    topic: string,
    partitions: number,
    config?: { 'cleanup.policy'?: 'compact' | 'delete'; 'max.message.bytes'?: string },
  ): Promise<'created' | 'exists'> {
    try {
      await new Promise<void>((resolve, reject) =>
        this.#admin.createTopic(
          { topic, num_partitions: partitions, replication_factor: 1, ...(config ? { config } : {}) },
          this.#timeoutMs,
          (err) => (err ? reject(err) : resolve()),
        ),
      );
      return 'created';
    } catch (error) {
      if ((error as LibrdKafkaError).code === TOPIC_ALREADY_EXISTS) return 'exists';
      throw this.#failed(`create topic '${topic}' with ${partitions} partitions`, error);
    }
  }

  /**
   * Makes sure the topic exists with exactly `partitions` partitions. An existing topic with another
   * count stops the job: partitions decide how work is spread, so silently using it would mislead.
   */
  async ensureTopic(topic: string, partitions: number): Promise<'created' | 'exists'> {
    const outcome = await this.createTopic(topic, partitions);
    if (outcome === 'exists') {
      const view = await this.describeTopic(topic);
      if (view.partitions.length !== partitions) {
        throw new SluiceError(
          'KAFKA_TOPIC_PARTITION_MISMATCH',
          `Topic '${topic}' already exists with ${view.partitions.length} partitions, but the job needs ${partitions}. ` +
            `Fix: set SLUICE_PARTITIONS=${view.partitions.length} (or --partitions), use another topic with ` +
            'SIMULATOR_KAFKA_TOPIC, or delete the topic and let Sluice create it.',
          { details: { topic, existing: view.partitions.length, wanted: partitions } },
        );
      }
    }
    return outcome;
  }

  async deleteTopic(topic: string): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      this.#admin.deleteTopic(topic, this.#timeoutMs, (err) => (err ? reject(err) : resolve())),
    ).catch((error: unknown) => {
      throw this.#failed(`delete topic '${topic}'`, error);
    });
  }

  async describeTopic(topic: string): Promise<TopicView> {
    const result = await new Promise<TopicDescription[]>((resolve, reject) =>
      this.#admin.describeTopics([topic], { timeout: this.#timeoutMs }, (err, data) =>
        err ? reject(err) : resolve(data),
      ),
    ).catch((error: unknown) => {
      throw this.#failed(`describe topic '${topic}'`, error);
    });
    const t = result[0];
    if (!t || t.error) throw this.#failed(`describe topic '${topic}'`, t?.error ?? new Error('no answer'));
    return {
      name: topic,
      partitions: t.partitions
        .map((p) => ({ id: p.partition, leader: p.leader?.id ?? -1 }))
        .sort((a, b) => a.id - b.id),
    };
  }

  /** The topic's partition count, or undefined when the topic does not exist. */
  async partitionCount(topic: string): Promise<number | undefined> {
    const result = await new Promise<TopicDescription[]>((resolve, reject) =>
      this.#admin.describeTopics([topic], { timeout: this.#timeoutMs }, (err, data) =>
        err ? reject(err) : resolve(data),
      ),
    ).catch((error: unknown) => {
      if ((error as LibrdKafkaError).code === UNKNOWN_TOPIC) return undefined;
      throw this.#failed(`describe topic '${topic}'`, error);
    });
    if (result === undefined) return undefined;
    const t = result[0];
    if (t?.error && (t.error as LibrdKafkaError).code === UNKNOWN_TOPIC) return undefined;
    if (!t || t.error) throw this.#failed(`describe topic '${topic}'`, t?.error ?? new Error('no answer'));
    return t.partitions.length;
  }

  /** The broker's view of a group; runs in a child process (see GroupDescriber for why). */
  async describeGroup(groupId: string): Promise<GroupView> {
    this.#describer ??= new GroupDescriber(this.#options);
    return this.#describer.describe(groupId, this.#timeoutMs);
  }

  /** The group's committed offsets for the topic's partitions (-1001 = none committed). */
  async committedOffsets(groupId: string, topic: string, partitions: number): Promise<Map<number, number>> {
    // In the describer's child process: this group request can abort the process that sends it
    // while the broker restarts (group-describer-child.ts).
    this.#describer ??= new GroupDescriber(this.#options);
    return this.#describer.committedOffsets(groupId, topic, partitions, this.#timeoutMs).catch((error) => {
      // A broker that refuses this client: say why instead of a timeout.
      throw this.#refusals.last ? this.#failed(`read committed offsets of group '${groupId}'`, error) : error;
    });
  }

  /**
   * Each partition's end (the offset the next record will get): where a new run starts reading.
   * Right after a topic is created its leaders may not be known yet: retried for a few seconds.
   */
  endOffsets(topic: string, partitions: number): Promise<Map<number, number>> {
    return this.#listOffsets(topic, partitions, 'latest');
  }

  /** Each partition's first offset still held (after retention): where `earliest` starts. */
  beginningOffsets(topic: string, partitions: number): Promise<Map<number, number>> {
    return this.#listOffsets(topic, partitions, 'earliest');
  }

  async #listOffsets(
    topic: string,
    partitions: number,
    which: 'earliest' | 'latest',
  ): Promise<Map<number, number>> {
    const request = Array.from({ length: partitions }, (_, partition) => ({
      topic,
      partition,
      offset: which === 'latest' ? OffsetSpec.LATEST : OffsetSpec.EARLIEST,
    }));
    const deadline = Date.now() + this.#timeoutMs;
    for (;;) {
      try {
        const results = await new Promise<ListOffsetsResult[]>((resolve, reject) =>
          this.#admin.listOffsets(request, { timeout: this.#timeoutMs }, (err, data) =>
            err ? reject(err) : resolve(data),
          ),
        );
        const failed = results.find((r) => r.error);
        if (failed) throw failed.error;
        return new Map(results.map((r) => [r.partition, r.offset]));
      } catch (error) {
        const code = (error as LibrdKafkaError | undefined)?.code;
        if (!LEADERSHIP_SETTLING.has(code ?? 0) || Date.now() > deadline) {
          throw this.#failed(`read the ${which === 'latest' ? 'end' : 'first'} offsets of '${topic}'`, error);
        }
        // A topic this client created is not in its metadata cache until a metadata request: make one.
        if (code === NO_ENTRY)
          await new Promise<void>((resolve) =>
            this.#admin.listTopics({ timeout: this.#timeoutMs }, () => resolve()),
          );
        await sleep(200);
      }
    }
  }

  close(): void {
    this.#describer?.close();
    this.#admin.disconnect();
  }

  #failed(what: string, error: unknown): SluiceError {
    // A request to a broker that refuses us times out: say why instead.
    const refusal = this.#refusals.last;
    if (refusal)
      return kafkaAuthError(this.#options.bootstrapServers, this.#options.security, refusal, error);
    return new SluiceError(
      'KAFKA_ADMIN_FAILED',
      `Could not ${what} on ${this.#options.bootstrapServers}: ${describeKafkaError(error)}. ` +
        'Check that the broker is up (`npx sluice infra status`) and retry.',
      { cause: error },
    );
  }
}
