// The contract between a task and its sink. Sinks own the durable record of what was applied per
// partition (the position) and a fencing epoch per partition, so that a task can resume exactly
// where the last owner stopped and a zombie owner's writes are refused.

import type { KafkaSecurity, RedisConfig } from '../config/sluice-config.js';

export interface PartitionClaim {
  /** Fencing token of this owner; every write carries it and an older one is refused. */
  readonly epoch: number;
  /** Next offset to read, as durably applied by the previous owner; undefined: no record yet. */
  readonly position: number | undefined;
}

export interface OffsetRange {
  /** Offset of the first record of the batch. */
  readonly firstOffset: number;
  /** Offset after the last record of the batch: the partition's position once applied. */
  readonly nextOffset: number;
}

export type ApplyOutcome =
  | { readonly status: 'applied'; readonly position: number }
  /** Already applied (a retry or a replay): nothing changed. */
  | { readonly status: 'duplicate'; readonly position: number }
  /** Partly applied before: nothing changed; the task must resume reading from `position`. */
  | { readonly status: 'overlap'; readonly position: number }
  /** Another owner claimed the partition since: this task must stop writing to it. */
  | { readonly status: 'fenced'; readonly currentEpoch: number };

export interface SinkContext {
  readonly taskManagerId: string;
  readonly topic: string;
  /** This TaskManager's Redis: the job's address, with this host's credentials and TLS settings. */
  readonly redis: RedisConfig;
  /** This TaskManager's Kafka: the job's brokers, with this host's credentials and TLS settings. */
  readonly kafka: { readonly bootstrapServers: string; readonly security: KafkaSecurity };
  readonly groupId: string;
  /**
   * The TaskManager's Kafka consumer (a KafkaConsumer), for sinks that commit the consumer's
   * offsets inside their own transactions.
   */
  readonly consumer: unknown;
  /** Where this job run started reading each partition (the topic's end at run start). */
  readonly startPositions: readonly number[];
}

export interface Sink<T> {
  readonly name: string;
  open(): Promise<void>;
  claim(partition: number): Promise<PartitionClaim>;
  /** Applies one batch of one partition atomically with its new position, guarded by the epoch. */
  apply(partition: number, epoch: number, records: readonly T[], range: OffsetRange): Promise<ApplyOutcome>;
  /**
   * Transactional sinks only, phase one of a checkpoint (Flink's pre-commit): at the batch boundary,
   * flush what was applied up to `position` and stage the source position with it, nothing visible
   * yet. 'fenced' when a newer owner took over; `rewindTo` when what was staged is lost.
   */
  preCommit?(partition: number, position: number): Promise<'prepared' | 'fenced' | { rewindTo: number }>;
  /** Phase two, once the checkpoint completed: make the prepared transaction visible. */
  commit?(partition: number): Promise<'committed' | 'fenced' | { rewindTo: number }>;
  /** The partition is handed over (clean) or lost: drop what is staged and not committed. */
  release?(partition: number, clean: boolean): Promise<void>;
  /** True when the sink commits the consumer's offsets itself: the TaskManager must not commit them. */
  readonly commitsOffsets?: boolean;
  close(): Promise<void>;
}

export type SinkFactory<T> = (context: SinkContext) => Sink<T>;
