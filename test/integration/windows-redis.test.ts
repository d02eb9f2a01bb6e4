// Windows into Redis when the input goes quiet: a windowed count per user on the source's own
// partitioning (no repartition topic), written with HINCRBY to a Redis hash by a guarded sink. The
// last windows are closed by the idle clock alone (no record after them), so their results have no
// record position for the sink's guard: they are held in the task's state, made durable by its
// Kafka transaction and applied once after it committed, numbered per task. One ACTIVE TaskManager
// is killed -9 while windows close on time passing. Checked against an offline computation: every
// window's count, none applied twice (HINCRBY would double it), with no record sent after the input.
// The same run through an idempotent user sink (defineSink) that upserts each result by its record
// id: every window under exactly one id — results of time passing keep theirs (`-t<n>-`) when
// handed over again — and its count equal to the offline computation's.

import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { clusterSuite, runArgs, sluiceRunEnv } from '../helpers/cluster-run.js';
import { startSluice } from '../helpers/sluice-process.js';
import { eventually, projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';
import { countWindows, type Event, makeEvents } from '../helpers/window-oracle.js';

const jobFile = path.join(projectRoot, 'dist', 'test', 'fixtures', 'window-count-job.js');

/** A run's view of the hash: window (`<user>@<start>`) → count, and what else the check needs. */
interface Readout {
  windows: Map<string, number>;
  /** Windows found under more than one field. */
  twice: string[];
  /** Fields whose id says the result came from time passing (user sink only). */
  timeResults: number;
}

const readers = {
  /** The guarded sink: HINCRBY `<user>@<start>`, so a window applied twice shows a doubled count. */
  redis: (hash: Record<string, string>): Readout => ({
    windows: new Map(Object.entries(hash).map(([k, v]) => [k, Number(v)])),
    twice: [],
    timeResults: 0,
  }),
  /** The user sink: `<record id>` → `<user>@<start>=<count>`; a window under two ids was emitted twice. */
  user: (hash: Record<string, string>): Readout => {
    const windows = new Map<string, number>();
    const twice: string[] = [];
    let timeResults = 0;
    for (const [id, text] of Object.entries(hash)) {
      const [window = '', count] = text.split('=');
      if (windows.has(window)) twice.push(window);
      windows.set(window, Number(count));
      if (/-t\d+-\d+$/.test(id)) timeResults++;
    }
    return { windows, twice, timeResults };
  },
};

describe('windows into Redis on a quiet input', { timeout: 600_000 }, () => {
  const { admin, topics, dirs } = clusterSuite('test-windows-redis');

  for (const sink of ['redis', 'user'] as const)
    it(`closes the last windows with no new record, each counted once, across a kill -9 (${sink} sink)`, async () => {
      const name = uniqueName(`winr-${sink}`);
      const input = `${name}-events`;
      const hash = `${name}:windows`;
      topics.push(input, `${input}.dlq`);
      await admin.createTopic(input, 4);
      // Within the job's allowed disorder (100 ms): no record is late.
      const events: Event[] = makeEvents(3000, 24, 7, 80, 3);
      const expected = new Map(
        [...countWindows(events, { kind: 'tumbling', size: 1000 })].map(([id, n]) => {
          const [user, start] = id.split('|');
          return [`${user}@${start}`, n] as [string, number];
        }),
      );
      const runLog = path.join(os.tmpdir(), `${name}-run.log`);
      const stateDir = path.join(os.tmpdir(), `${name}-state`);
      dirs.push(stateDir);
      const redis = createRedis({ url: testEnv.redisUrl });
      const job = startSluice(
        'sluice run',
        runArgs(jobFile, {
          taskManagers: 3,
          group: `${name}-group`,
          params: {
            input,
            output: hash,
            kind: 'tumbling',
            repartition: 'false',
            sink,
            redisUrl: testEnv.redisUrl,
            idleAfterMs: '1000',
          },
        }),
        { env: sluiceRunEnv(stateDir), logFile: runLog },
      );
      const producer = await KafkaProducer.connect({
        security: PLAINTEXT,
        bootstrapServers: testEnv.kafkaBootstrap,
        clientId: 'winr-input',
      });
      const read = async () => readers[sink](await redis.hgetall(hash));
      try {
        const started = await job.waitForEvent('jobmanager.started', undefined, 90_000);
        await job.waitForEvent('taskmanager.partitions_assigned', undefined, 90_000);
        // Keyed by user: the source is partitioned by the job's key (repartition=false).
        for (const e of events) await producer.send(input, null, Buffer.from(JSON.stringify(e)), e.user);
        await producer.flush();
        // Windows close on the idle clock now: kill -9 an owner of tasks once some results are in.
        await eventually(
          'some windows in Redis',
          async () => ((await read()).windows.size > 0 ? true : undefined),
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        const url = String(started.url);
        const { taskmanagers } = (await fetch(`${url}/taskmanagers`).then((r) => r.json())) as {
          taskmanagers: { pid: number; state: string; partitions: unknown[] }[];
        };
        const victim = taskmanagers.find((t) => t.state === 'ACTIVE' && t.partitions.length > 0);
        assert.ok(victim, 'an ACTIVE TaskManager owning tasks');
        process.kill(victim.pid, 'SIGKILL');
        // No record is sent from here on: only time passing can close the remaining windows.
        const got = await eventually(
          `every window in Redis (${expected.size}); log in ${runLog}`,
          async () => {
            const now = await read();
            if (now.windows.size >= expected.size) return now;
            // Thrown, not returned: the timeout's message names what is missing.
            const missing = [...expected.keys()].filter((w) => !now.windows.has(w));
            throw new Error(`${missing.length} missing, e.g. ${missing.slice(0, 8).join(', ')}`);
          },
          { timeoutMs: 120_000, intervalMs: 250 },
        );
        const wrong = [...got.windows]
          .filter(([w, n]) => expected.get(w) !== n)
          .map(([w, n]) => `${w}: ${n} != ${expected.get(w) ?? 0}`);
        assert.deepEqual(wrong, [], `window counts differ from the offline computation; log in ${runLog}`);
        assert.deepEqual(got.twice, [], `windows emitted under two ids; log in ${runLog}`);
        await job.stop('SIGTERM', 60_000);
        // Nothing applied again on the way out (a held result is applied once per number).
        const final = await read();
        assert.deepEqual(final.windows, expected, `log in ${runLog}`);
        assert.deepEqual(final.twice, [], `log in ${runLog}`);
        // The last windows of each partition could only close on time passing: the path under test ran.
        if (sink === 'user') assert.ok(final.timeResults > 0, `no result of time passing; log in ${runLog}`);
      } finally {
        await producer.close();
        await redis.del(hash).catch(() => {});
        redis.disconnect();
      }
    });
});
