// The raw limit: librdkafka consumers reading every partition from the start with no processing at
// all, one process per partition like the other peers (raw-reader-worker.ts). No consumer here can
// go faster than this.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KafkaAdmin } from '../../connectors/kafka/admin.js';
import { PLAINTEXT } from '../../connectors/kafka/client-config.js';
import type { BenchInput } from '../bench-input.js';
import type { BenchEnvironment, PeerResult } from './peer.js';

export async function runRawReader(env: BenchEnvironment, input: BenchInput): Promise<PeerResult> {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: env.bootstrapServers,
    clientId: 'sluice-bench-raw-admin',
  });
  const ends = await admin.endOffsets(input.topic, input.partitions);
  admin.close();
  const worker = fileURLToPath(new URL('./raw-reader-worker.js', import.meta.url));
  const outputs = await Promise.all(
    Array.from({ length: input.partitions }, (_, partition) => {
      const child = spawn(
        process.execPath,
        [worker, env.bootstrapServers, input.topic, String(partition), String(ends.get(partition) ?? 0)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
      });
      return new Promise<number[]>((resolve) =>
        child.once('close', () => resolve(out.trim().split(' ').map(Number))),
      );
    }),
  );
  const count = outputs.reduce((n, o) => n + (o[0] ?? 0), 0);
  const bytes = outputs.reduce((n, o) => n + (o[3] ?? 0), 0);
  const first = Math.min(...outputs.map((o) => o[1] ?? Number.POSITIVE_INFINITY));
  const last = Math.max(...outputs.map((o) => o[2] ?? 0));
  const ms = Math.max(1, last - first);
  return {
    peer: 'raw-read',
    drain: { records: count, ms, recordsPerSecond: Math.round((count * 1000) / ms) },
    exact: count === input.records,
    detail: `${count} records read by ${input.partitions} processes, ${(bytes / Math.max(1, count)).toFixed(0)} bytes each`,
  };
}
