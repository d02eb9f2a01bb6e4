// `bench throughput`: the same input (N keyed JSON records on 4 partitions, written once) and the
// same job (parse, count per key, exactly-once result) run by Sluice (Redis sink; Kafka sink),
// Kafka Streams (exactly_once_v2), a plain at-least-once consumer, and the raw read limit. Each
// peer runs several times; the table shows the median with min and max, and Sluice's ratio.

import type { BenchInput } from './bench-input.js';
import { type PeerFigures as RunFigures, runPeers } from './peer-runs.js';
import { runKafkaStreams } from './peers/kafka-streams-peer.js';
import type { BenchEnvironment, PeerResult } from './peers/peer.js';
import { runPlainConsumer } from './peers/plain-consumer-peer.js';
import { runRawReader } from './peers/raw-peer.js';
import { runSluice } from './peers/sluice-peer.js';

export const THROUGHPUT_PEERS = [
  'sluice-redis',
  'sluice-kafka',
  'kafka-streams',
  'plain-consumer',
  'raw-read',
] as const;
export type ThroughputPeer = (typeof THROUGHPUT_PEERS)[number];

export type PeerFigures = RunFigures<ThroughputPeer>;

export async function throughputBench(
  env: BenchEnvironment,
  input: BenchInput,
  options: { runs: number; peers: readonly ThroughputPeer[]; kafkaStreamsSource: string },
): Promise<PeerFigures[]> {
  const run: Record<ThroughputPeer, () => Promise<PeerResult>> = {
    'sluice-redis': () => runSluice(env, input, { sink: 'redis' }),
    'sluice-kafka': () => runSluice(env, input, { sink: 'kafka' }),
    'kafka-streams': () => runKafkaStreams(env, input, options.kafkaStreamsSource),
    'plain-consumer': () => runPlainConsumer(env, input),
    'raw-read': () => runRawReader(env, input),
  };
  return runPeers(env, 'throughput', options.peers, options.runs, (peer) => run[peer]());
}
