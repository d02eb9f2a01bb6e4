// A job whose own code throws for every record (issue 14): every record goes to the dead-letter
// topic with RECORD_PROCESSING_FAILED, the job keeps running (its TaskManagers stay ACTIVE, the job
// RUNNING, checkpoints go on), and the error rate shows in /metrics and on the dashboard.

import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { connectConsumer, disconnectConsumer } from '../../src/connectors/kafka/consumer.js';
import { DLQ_HEADERS } from '../../src/connectors/kafka/dead-letter-queue.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import type { Message } from '../../src/connectors/kafka/rdkafka.js';
import { launchChromium, screenshotPath } from '../helpers/browser.js';
import { clusterSuite, runArgs, sluiceRunEnv } from '../helpers/cluster-run.js';
import { startSluice } from '../helpers/sluice-process.js';
import { eventually, projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

const jobFile = path.join(projectRoot, 'dist', 'test', 'fixtures', 'throwing-job.js');

/** One sample of a Prometheus text page. */
function metric(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('a job whose code throws on every record', { timeout: 240_000 }, () => {
  const { admin, topics, dirs } = clusterSuite('test-user-errors');

  it('dead-letters every record, keeps running, and shows its error rate', async () => {
    const name = uniqueName('throws');
    const input = `${name}-in`;
    topics.push(input, `${name}-out`, `${input}.dlq`);
    await admin.createTopic(input, 4);
    await admin.createTopic(`${name}-out`, 4);
    const stateDir = path.join(os.tmpdir(), `${name}-state`);
    dirs.push(stateDir);
    const job = startSluice(
      'sluice run',
      runArgs(jobFile, {
        taskManagers: 2,
        group: `${name}-group`,
        params: { input, output: `${name}-out` },
        more: ['--start-from', 'earliest'],
      }),
      { env: sluiceRunEnv(stateDir) },
    );
    const url = String((await job.waitForEvent('jobmanager.started', undefined, 90_000)).url);
    await job.waitForEvent('taskmanager.partitions_assigned', undefined, 90_000);

    // A steady input: 200 records a second for 7.5 s, every one of which the job's code refuses.
    const producer = await KafkaProducer.connect({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: `${name}-input`,
    });
    const total = 1500;
    const writing = (async () => {
      for (let id = 1; id <= total; id++) {
        await producer.send(input, null, Buffer.from(JSON.stringify({ id })), String(id));
        if (id % 20 === 0) await new Promise((r) => setTimeout(r, 100));
      }
      await producer.flush();
    })();
    try {
      // While it flows: a dead-letter rate above zero in /metrics, and on a TaskManager's card.
      await eventually(
        'a dead-letter rate in /metrics',
        async () =>
          (metric(await (await fetch(`${url}/metrics`)).text(), 'sluice_dead_letters_per_second') ?? 0) > 0
            ? true
            : undefined,
        { timeoutMs: 30_000 },
      );
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        await page.goto(`${url}/`);
        await page.waitForSelector('.tm .errors', { timeout: 15_000 });
        assert.match(
          (await page.locator('.tm .errors').first().textContent()) ?? '',
          /dead letters\/s · [\d,]+ in all/,
        );
        await page.screenshot({ path: screenshotPath('dashboard-dead-letters.png') });
      } finally {
        await browser.close();
      }
      await writing;
      // Every record dead-lettered (a replay after a crash may write one again: counted at least
      // once here, each source record exactly once in the topic below); nothing else stopped.
      let seen: number | undefined;
      await eventually(
        `all ${total} records dead-lettered`,
        async () => {
          seen = metric(await (await fetch(`${url}/metrics`)).text(), 'sluice_dead_letters_total');
          return (seen ?? 0) >= total ? true : undefined;
        },
        { timeoutMs: 60_000 },
      ).catch((error: unknown) => {
        throw new Error(
          `${String(error)} (sluice_dead_letters_total: ${seen})\n${job.lines.slice(-40).join('\n')}`,
        );
      });
      const jobs = (await (await fetch(`${url}/jobs`)).json()) as { jobs: { status: string }[] };
      assert.equal(jobs.jobs[0]?.status, 'RUNNING', 'the job keeps running');
      const tms = (await (await fetch(`${url}/taskmanagers`)).json()) as {
        taskmanagers: { state: string; deadLettered: number }[];
      };
      assert.ok(
        tms.taskmanagers.every((t) => t.state === 'ACTIVE' || t.state === 'IDLE'),
        JSON.stringify(tms),
      );
      assert.ok(tms.taskmanagers.reduce((n, t) => n + t.deadLettered, 0) >= total);
    } finally {
      await producer.close();
      await job.stop();
    }
    // The dead letters say why: the job's code threw, with its message.
    const reader = await connectConsumer({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: `${name}-dlq-reader`,
      groupId: `${name}-dlq-reader`,
      groupProtocol: 'consumer',
    });
    const letters: Message[] = [];
    try {
      reader.subscribe([`${input}.dlq`]);
      await eventually(
        `${total} dead letters`,
        async () => {
          letters.push(
            ...(await new Promise<Message[]>((resolve, reject) =>
              reader.consume(1000, (err, m) => (err ? reject(err) : resolve(m))),
            )),
          );
          return new Set(letters.map((m) => String(m.key))).size >= total ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 0 },
      );
    } finally {
      await disconnectConsumer(reader);
    }
    const header = (m: Message, key: string) => String(m.headers?.find((h) => key in h)?.[key] ?? '');
    assert.equal(
      new Set(letters.map((m) => String(m.key))).size,
      total,
      'each source record, by its coordinates',
    );
    assert.ok(letters.every((m) => header(m, DLQ_HEADERS.code) === 'RECORD_PROCESSING_FAILED'));
    assert.match(header(letters[0] as Message, DLQ_HEADERS.message), /no record is good enough \(id \d+\)/);
  });
});
