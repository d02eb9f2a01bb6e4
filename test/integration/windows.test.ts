// Windows on the cluster, exactly once: a windowed count per user through a repartition topic, run
// by `sluice run` with 3 TaskManagers, two of them killed -9 mid-stream. Every window's count is
// compared with an offline computation over the same input (test/helpers/window-oracle.ts), read
// back by an independent read_committed reader; records far later than the grace are dead-lettered
// as late and never counted.

import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WindowResult } from '../../src/api/windows.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { readCommitted } from '../helpers/committed-reader.js';
import { startSluice, stopAllSluice } from '../helpers/sluice-process.js';
import { projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';
import { countWindows, type Event, makeEvents } from '../helpers/window-oracle.js';

const jobFile = path.join(projectRoot, 'dist', 'test', 'fixtures', 'window-count-job.js');

describe('windows on the cluster', { timeout: 400_000 }, () => {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-windows',
  });
  const topics: string[] = [];
  after(async () => {
    await stopAllSluice();
    for (const topic of topics) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  });

  const cases = [
    { kills: 0, skip: undefined },
    {
      kills: 2,
      // 2026-11-27, the same scenario on the local broker: 8 of the last 9 runs exact (971 of 971
      // windows, 0 duplicated), and this case passed when un-skipped; 1 run did not stop within
      // 150 s (checkpoints kept aborting while the group rebalanced). Not stable enough for CI yet.
      skip: 'known gap: after kill -9 a run can fail to stop (docs/state-and-time.md, Known gaps)',
    },
  ];
  for (const { kills, skip } of cases)
    it(`counts every on-time record in its window exactly once${kills ? `, with ${kills} ACTIVE TaskManagers killed -9` : ''}`, {
      skip,
    }, async () => {
      const name = uniqueName('win');
      const input = `${name}-events`;
      const output = `${name}-counts`;
      topics.push(input, output, `${input}.dlq`);
      await admin.createTopic(input, 4);
      const events: Event[] = makeEvents(8000, 40, 99, 80, 3);
      const far: Event[] = [0, 1, 2, 3].map((i) => ({ user: `u${i}`, t: 900_000 + i, n: -1 - i }));
      const runLog = path.join(os.tmpdir(), `${name}-run.log`);
      const job = startSluice(
        'sluice run',
        [
          'run',
          jobFile,
          '--taskmanagers',
          '3',
          '--stop-when-idle',
          '5s',
          '--group',
          `${name}-group`,
          '--param',
          `input=${input}`,
          '--param',
          `output=${output}`,
        ],
        {
          env: {
            SLUICE_KAFKA_PORT: testEnv.kafkaBootstrap.split(':')[1] ?? '',
            SLUICE_REDIS_PORT: new URL(testEnv.redisUrl).port,
            SLUICE_MANAGE_INFRA: 'false',
            SLUICE_JOBMANAGER_PORT: '0',
            SLUICE_CHECKPOINT_INTERVAL: '500ms',
            SLUICE_PARTITIONS: '4',
            SLUICE_STATE_DIR: path.join(os.tmpdir(), `${name}-state`),
          },
          logFile: runLog,
        },
      );
      const producer = await KafkaProducer.connect({
        security: PLAINTEXT,
        bootstrapServers: testEnv.kafkaBootstrap,
        clientId: 'win-input',
      });
      const killed = new Set<number>();
      try {
        await job.waitForEvent('taskmanager.partitions_assigned', undefined, 90_000);
        for (let i = 0; i < events.length; i++) {
          const e = events[i] as Event;
          await producer.send(input, null, Buffer.from(JSON.stringify(e)), e.user);
          if (i % 500 === 499) {
            await producer.flush();
            await sleep(300);
          }
          if (i === 3000 && kills > 0) {
            // Two TaskManagers that own tasks, killed without warning.
            const owners = job.records
              .filter((r) => r.event === 'taskmanager.partitions_assigned')
              .map((r) => Number(r.pid));
            for (const pid of owners) {
              if (killed.size === kills || killed.has(pid)) continue;
              process.kill(pid, 'SIGKILL');
              killed.add(pid);
            }
          }
        }
        await producer.flush();
        // Far behind every watermark once the stream has moved on: late under any interleaving. (In
        // the same batch as on-time records they could reach the window stage before the watermark
        // marker that closes their window: watermarks move at batch ends.)
        await sleep(2000);
        for (const f of far) await producer.send(input, null, Buffer.from(JSON.stringify(f)), f.user);
        await producer.flush();
      } finally {
        await producer.close();
      }
      assert.equal(killed.size, kills, 'TaskManagers were killed mid-stream');
      const exit = await Promise.race([
        job.exited,
        sleep(240_000, undefined, { ref: false }).then(() => {
          throw new Error(`sluice run did not stop when idle; log in ${runLog}`);
        }),
      ]);
      assert.equal(exit.code, 0, `sluice run exited ${exit.code}; log in ${runLog}`);

      const expected = countWindows(events, { kind: 'tumbling', size: 1000 });
      const got = new Map<string, number>();
      const duplicated: string[] = [];
      for (const m of await readCommitted(output, expected.size)) {
        const w = JSON.parse(String(m.value)) as WindowResult<number>;
        const id = `${w.key}|${w.start}|${w.end}`;
        if (got.has(id)) duplicated.push(id);
        got.set(id, w.value);
      }
      assert.deepEqual(duplicated, [], `windows emitted twice; log in ${runLog}`);
      const wrong = [...new Set([...got.keys(), ...expected.keys()])]
        .filter((id) => got.get(id) !== expected.get(id))
        .map((id) => `${id}: got ${got.get(id)}, expected ${expected.get(id)}`);
      assert.deepEqual(wrong, [], `window counts differ from the offline computation; log in ${runLog}`);
      const late = await readCommitted(`${input}.dlq`, far.length);
      assert.deepEqual(
        late.map((m) => JSON.parse(String(m.value)).n).sort(),
        far.map((f) => f.n).sort(),
        'the far-late records, and only they, were dead-lettered',
      );
      for (const m of late) {
        const code = (m.headers ?? []).find((h) => 'sluice.error.code' in h)?.['sluice.error.code'];
        assert.equal(String(code), 'RECORD_LATE');
      }
    });
});
