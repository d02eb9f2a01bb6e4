// The two holes of the exactly-once Kafka sink that reading it found, injected against the real
// broker through the real runtime (an in-process JobManager with checkpoints, an in-process
// TaskManager whose transactional producers are wrapped to fail on cue):
//  1. a send failing in the middle of a batch, then that batch retried into the same open
//     transaction: its first records were committed twice (seen before the fix: 4 of 3,000 ids twice);
//  2. a failed phase two (commit) rewinding the task, with the consumer's seek left to the next
//     checkpoint: batches fetched meanwhile moved the position past the aborted range, which was
//     then skipped as already written (seen before the fix: 400 of 3,000 ids lost).
// And a commit fenced with no new owner (the broker aborted the transaction across its restart,
// seen in the windows kill case): the task, closed dirty, declined every checkpoint for good until
// the TaskManager learned to revive it.
// A read_committed reader independent of Sluice checks every id exactly once.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CheckpointStore } from '../../src/checkpoint/checkpoint-store.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { OutputVerifier } from '../../src/connectors/kafka/output-verifier.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import {
  TransactionalProducer,
  type TransactionalSession,
  type TransactionalSessionFactory,
  TransactionFencedError,
} from '../../src/connectors/kafka/transactional-producer.js';
import { createRedis } from '../../src/connectors/redis/redis-client.js';
import { SluiceError } from '../../src/errors/sluice-error.js';
import { buildJobSpec } from '../../src/jobmanager/job-spec.js';
import { LocalCluster } from '../../src/jobmanager/local-cluster.js';
import { prepareJob } from '../../src/jobmanager/prepared-job.js';
import { EventLog } from '../../src/logging/event-log.js';
import { createLogger } from '../../src/logging/logger.js';
import { TaskManager } from '../../src/taskmanager/task-manager.js';
import { testSpecSettings } from '../helpers/cluster.js';
import { eventually, projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

const N = 3000;
const jobFile = path.join(projectRoot, 'dist', 'test', 'fixtures', 'id-copy-job.js');

interface Faults {
  /** The n-th send (counting from the first) throws once, as produce() would. */
  failSendAt?: number;
  /** The n-th commit fails once, not fenced, as a request timeout would. */
  failCommitAt?: number;
  /** The n-th commit is fenced once (its transaction aborted), with no other owner anywhere. */
  fenceCommitAt?: number;
}

/** Real transactional producers, wrapped to fail on cue; counts what fired. */
function faultySessions(faults: Faults) {
  const fired = { sends: 0, commits: 0 };
  let sends = 0;
  let commits = 0;
  const factory: TransactionalSessionFactory = async (options) => {
    const real = await TransactionalProducer.create(options);
    const session: TransactionalSession = {
      get transactionalId() {
        return real.transactionalId;
      },
      get inTransaction() {
        return real.inTransaction;
      },
      begin: () => real.begin(),
      send: async (topic, value, key, headers, partition, timestamp) => {
        if (++sends === faults.failSendAt) {
          fired.sends++;
          throw Object.assign(new Error('Local: Broker transport failure (injected)'), {
            code: -195,
            isRetriable: true,
          });
        }
        await real.send(topic, value, key, headers, partition, timestamp);
      },
      sendOffsets: (offsets, consumer) => real.sendOffsets(offsets, consumer),
      commit: async () => {
        if (real.inTransaction && ++commits === faults.failCommitAt) {
          fired.commits++;
          throw new SluiceError(
            'KAFKA_PRODUCE_FAILED',
            'Transactional commitTransaction failed: Request timed out (injected).',
          );
        }
        if (real.inTransaction && commits === faults.fenceCommitAt) {
          fired.commits++;
          await real.abort();
          throw new TransactionFencedError(
            Object.assign(new Error('Local: This instance has been fenced by a newer instance (injected)'), {
              code: -144,
            }),
          );
        }
        await real.commit();
      },
      abort: () => real.abort(),
      close: () => real.close(),
    };
    return session;
  };
  return { factory, fired };
}

describe('exactly-once Kafka sink under injected failures', { timeout: 300_000 }, () => {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-ksf',
  });
  const topics: string[] = [];
  after(async () => {
    for (const topic of topics) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
  });

  /** Runs the id-copy job on N ids with one in-process TaskManager; returns what a read_committed reader saw. */
  async function run(name: string, faults: Faults) {
    const input = uniqueName(`${name}-in`);
    const output = uniqueName(`${name}-out`);
    topics.push(input, output, `${input}.dlq`);
    await admin.ensureTopic(input, 2);
    await admin.ensureTopic(output, 2);
    await admin.createTopic(`${input}.dlq`, 1);
    const producer = await KafkaProducer.connect({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'ksf-input',
    });
    // The input trickles in (about 1,500 records/s) while checkpoints (every 200 ms) commit: the
    // faults land in the middle of the stream, with batches before and after them.
    const produce = async () => {
      for (let id = 1; id <= N; id++) {
        await producer.send(input, id % 2, Buffer.from(JSON.stringify({ id })), String(id));
        if (id % 50 === 0) {
          await producer.flush();
          await sleep(30);
        }
      }
      await producer.flush();
    };

    const prepared = await prepareJob(jobFile, { input, output });
    const groupId = `${input}-group`;
    const spec = buildJobSpec(testSpecSettings(), {
      ...prepared,
      runId: input,
      groupId,
      deadLetterTopic: `${input}.dlq`,
      sources: [{ topic: input, partitions: 2, startPositions: [0, 0] }],
    });
    const redis = createRedis({ url: testEnv.redisUrl });
    await redis.connect();
    const store = new CheckpointStore(redis, groupId);
    const events = new EventLog(createLogger({ format: 'json', level: 'silent' }));
    const revived: string[] = [];
    events.subscribe((e) => {
      if (e.type === 'taskmanager.task_revived') revived.push(e.task);
    });
    const cluster = new LocalCluster({
      job: spec,
      security: { kafka: PLAINTEXT, redis: { url: testEnv.redisUrl } },
      jobManagerPort: 0,
      taskManagerCommand: [],
      logDir: path.join(projectRoot, '.sluice', 'test-ksf'),
      events,
      forwardLine: () => {},
      checkpointing: { intervalMs: 200, timeoutMs: 5000, store },
    });
    const verifier = await OutputVerifier.start({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      topic: output,
      startOffsets: new Map([
        [0, 0],
        [1, 0],
      ]),
      expected: N,
      parse: (value) => JSON.parse(String(value)) as { id: number },
    });
    const { factory, fired } = faultySessions(faults);
    const url = await cluster.start();
    const taskManager = new TaskManager({
      taskManagerId: `TM-${name}`,
      jobManagerUrl: url,
      jobFile,
      events,
      security: { kafka: PLAINTEXT, redis: {} },
      kafkaSessions: factory,
    });
    const running = taskManager.run();
    try {
      cluster.jobManager.startGroup();
      await produce();
      await eventually(
        'every id to be committed to the output',
        () => (verifier.distinct >= N ? true : undefined),
        {
          timeoutMs: 120_000,
        },
      );
      // Everything read is committed: the group's offsets reached the input's end (a replay would show now).
      await eventually('the group to commit the end of the input', async () => {
        const committed = await admin.committedOffsets(groupId, input, 2);
        return committed.get(0) === N / 2 && committed.get(1) === N / 2 ? true : undefined;
      });
    } finally {
      taskManager.stop();
      await running;
      await producer.close();
      await cluster.shutdown();
      await verifier.stop();
      await store.clear();
      redis.disconnect();
    }
    return { verdict: verifier.verdict(), records: verifier.records, fired, revived };
  }

  it('a send failing mid-batch is never retried into the same transaction: every id once', async (t) => {
    const { verdict, records, fired } = await run('ksf-send', { failSendAt: 1200 });
    t.diagnostic(
      `injected send failures: ${fired.sends}; ${records} records read, ${verdict.duplicated.length} ids duplicated, ${verdict.missing.length} lost`,
    );
    assert.equal(fired.sends, 1, 'the send fault fired');
    assert.deepEqual([verdict.duplicated, verdict.missing], [[], []]);
    assert.equal(records, N);
  });

  it('a failed commit rewinds at once: nothing fetched meanwhile skips the aborted range', async (t) => {
    const { verdict, records, fired } = await run('ksf-commit', { failCommitAt: 4 });
    t.diagnostic(
      `injected commit failures: ${fired.commits}; ${records} records read, ${verdict.missing.length} ids lost, ${verdict.duplicated.length} duplicated`,
    );
    assert.equal(fired.commits, 1, 'the commit fault fired');
    assert.deepEqual([verdict.duplicated, verdict.missing], [[], []]);
    assert.equal(records, N);
  });

  it('a commit fenced with no new owner: the task is revived, every id once, the end committed', async (t) => {
    const { verdict, records, fired, revived } = await run('ksf-fence', { fenceCommitAt: 4 });
    t.diagnostic(
      `injected fences: ${fired.commits}; revived ${revived.join(', ')}; ${records} records read, ${verdict.missing.length} ids lost, ${verdict.duplicated.length} duplicated`,
    );
    assert.equal(fired.commits, 1, 'the fence fired');
    assert.equal(revived.length, 1, 'the fenced task was taken up again');
    assert.deepEqual([verdict.duplicated, verdict.missing], [[], []]);
    assert.equal(records, N);
  });
});
