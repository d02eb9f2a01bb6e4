// The end of the seed's verified run: the figures the TaskManagers reported as they stopped, the
// last checkpoint and the proof that the group's committed offsets equal it, and the verdict from the
// sink's own records (the Redis counter and its id bitmap, or a read_committed reader of the output).

import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { positionsOf } from '../checkpoint/completed-checkpoint.js';
import type { SluiceConfig } from '../config/sluice-config.js';
import type { KafkaAdmin } from '../connectors/kafka/admin.js';
import type { OutputVerifier } from '../connectors/kafka/output-verifier.js';
import { describeVerdict, type IdVerdict, verifyIds } from '../connectors/redis/id-verifier.js';
import { takeFinalCheckpoint } from '../jobmanager/final-checkpoint.js';
import type { LocalCluster } from '../jobmanager/local-cluster.js';
import type { EventLog } from '../logging/event-log.js';
import { LatencyHistogram } from '../metrics/latency-histogram.js';
import type { JobResult } from './seed-run.js';

/** What the TaskManagers reported as they stopped: restarts, processing time, dead letters, latency, final counts. */
export function collectFigures(cluster: LocalCluster, result: JobResult, hasVerifier: boolean): void {
  result.restarts = [...cluster.restarts];
  // Processing time: from the first batch any TaskManager applied to the last one (final heartbeats).
  const applied = cluster.registry.list();
  const first = Math.min(...applied.map((t) => t.firstAppliedAt ?? Number.POSITIVE_INFINITY));
  const last = Math.max(...applied.map((t) => t.lastAppliedAt ?? 0));
  if (Number.isFinite(first) && last >= first) result.drainMs = last - first;
  result.deadLettered = cluster.registry.list().reduce((n, t) => n + t.deadLettered, 0);
  const latency = new LatencyHistogram();
  for (const buckets of cluster.registry.latencyHistograms()) latency.merge(buckets);
  if (latency.count > 0 && !hasVerifier) result.latency = latencyOf(latency, 'redis');
  const final = new Map(cluster.registry.list().map((t) => [t.id, t]));
  result.snapshot = result.snapshot.map((t) => {
    const last = final.get(t.id);
    return last ? { ...t, consumed: last.consumed, rssBytes: Math.max(t.rssBytes, last.rssBytes) } : t;
  });
}

/** The verdict, from the sink's own records after everyone stopped: counter == N, every id once. */
export async function verify(o: {
  result: JobResult;
  verifier: OutputVerifier | undefined;
  redis: Redis;
  config: SluiceConfig;
  events: EventLog;
}): Promise<void> {
  const { result, verifier, redis, config, events } = o;
  const written = result.inputAcknowledged ?? result.expected;
  // A run that failed before any input was written has nothing to prove (its failure says why):
  // listing every id as lost would blame the job for records nobody wrote.
  const idsWritten = written > 0 || result.failures.length === 0;
  /** Says, with a failed proof, that part of the input was never written. */
  const verdictOf = (ids: IdVerdict) =>
    written < result.expected
      ? `${describeVerdict(ids)} (the broker acknowledged ${written} of ${result.expected} input records before the run failed)`
      : describeVerdict(ids);
  if (verifier) {
    await settleVerifier(verifier, result.expected);
    await verifier.stop();
    result.counter = verifier.distinct;
    if (idsWritten) {
      result.ids = verifier.verdict();
      if (!result.ids.ok) result.failures.push(verdictOf(result.ids));
    }
    if (verifier.latency.count > 0) result.latency = latencyOf(verifier.latency, 'kafka');
  } else result.counter = Number((await redis.get(config.job.sinkCounterKey).catch(() => null)) ?? 0);
  if (config.job.trackIds && !verifier && idsWritten) {
    const ids = await verifyIds(redis, config.job.sinkCounterKey, result.expected).catch(() => undefined);
    if (ids) {
      result.ids = ids;
      if (!ids.ok) result.failures.push(verdictOf(ids));
    }
  }
  result.verified = result.failures.length === 0 && result.counter === result.expected;
  if (result.failures.length === 0 && !result.verified) {
    result.failures.push(`the counter is ${result.counter}, expected exactly ${result.expected}`);
  }
  if (!result.verified) {
    events.emit({
      type: 'job.failed',
      reason: result.failures.join('; '),
      count: result.counter,
      total: result.expected,
    });
  }
}

/**
 * A last checkpoint once the counter reached N, and the proof that offsets follow checkpoints: the
 * group's committed offsets, read back through the Admin API, equal that checkpoint's positions.
 */
export async function finalCheckpoint(
  cluster: LocalCluster,
  admin: KafkaAdmin,
  groupId: string,
  result: JobResult,
): Promise<void> {
  const checkpoint = await takeFinalCheckpoint(cluster);
  if (!checkpoint) {
    result.failures.push('no checkpoint completed after the counter reached N');
    return;
  }
  result.finalCheckpoint = checkpoint;
  const id = checkpoint.id;
  const { topic, partitions } = cluster.jobManager.slots.topics[0] ?? { topic: '', partitions: 0 };
  const deadline = Date.now() + 15_000;
  const expected = positionsOf(checkpoint);
  let committed = new Map<number, number>();
  // The commit is asynchronous in the consumer: read until it shows (or the deadline says it never will).
  while (Date.now() < deadline) {
    committed = await admin.committedOffsets(groupId, topic, partitions);
    if ([...expected].every(([p, o]) => committed.get(p) === o)) break;
    await sleep(200);
  }
  result.committedOffsets = Object.fromEntries(committed);
  const mismatched = [...expected].filter(([p, o]) => committed.get(p) !== o);
  if (mismatched.length > 0) {
    result.failures.push(
      `committed offsets differ from checkpoint ${id}: ${mismatched.map(([p, o]) => `partition ${p} committed ${committed.get(p)}, checkpoint ${o}`).join('; ')}`,
    );
  }
}

/** Lets the output reader catch up with what the stopped TaskManagers committed last. */
export async function settleVerifier(verifier: OutputVerifier, expected: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    if (verifier.records !== last) {
      last = verifier.records;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > (verifier.distinct >= expected ? 1500 : 4000)) return;
    await sleep(100);
  }
}

function latencyOf(
  histogram: LatencyHistogram,
  visibleIn: 'redis' | 'kafka',
): NonNullable<JobResult['latency']> {
  return {
    count: histogram.count,
    p50: histogram.percentile(50) ?? 0,
    p99: histogram.percentile(99) ?? 0,
    max: histogram.percentile(100) ?? 0,
    visibleIn,
  };
}
