// The acceptance story of a job written in the user's own project, outside this checkout: install
// Sluice from the checkout, unit-test the job with sluice/testing, type-check it against the
// package's declarations, then run it with `sluice run` on 3 TaskManagers while its input flows,
// kill -9 one of them mid-stream, and read the output topic read_committed, independently:
// each expected result exactly once. Also the refusals a user meets first (a bad --param, a file
// that is no job), and a TaskManager whose job is another build.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { baseClientConfig, PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { disconnectConsumer } from '../../src/connectors/kafka/consumer.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import { KafkaConsumer, type Message } from '../../src/connectors/kafka/rdkafka.js';
import { prepareJob } from '../../src/jobmanager/prepared-job.js';
import { startSluice, stopAllSluice } from '../helpers/sluice-process.js';
import { eventually, projectRoot, testEnv, uniqueName, within } from '../helpers/test-env.js';

const run = promisify(execFile);

interface Result {
  line: number;
  position: number;
  word: string;
  length: number;
}

/** What the job must write for these lines, computed here, not by Sluice. */
function expected(lines: { id: number; text: string }[], minLength: number): Map<string, Result> {
  const out = new Map<string, Result>();
  for (const line of lines) {
    line.text
      .split(/\s+/)
      .filter(Boolean)
      .forEach((word, position) => {
        if (word.length >= minLength)
          out.set(`${line.id}/${position}`, { line: line.id, position, word, length: word.length });
      });
  }
  return out;
}

const WORDS = ['stream', 'kafka', 'sluice', 'exactly', 'once', 'task', 'owner', 'epoch', 'a', 'of'];
function line(id: number): { id: number; text: string } {
  return {
    id,
    text: Array.from({ length: 1 + (id % 5) }, (_, i) => WORDS[(id * 7 + i * 3) % WORDS.length]).join(' '),
  };
}

describe('a job in its own project', { timeout: 400_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-user-'));
  const bin = path.join(dir, 'node_modules', 'sluice', 'bin', 'sluice.js');
  const name = uniqueName('wl');
  const input = `${name}-lines`;
  const output = `${name}-words`;
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-user',
  });
  // The test's own broker and Redis as "the local cluster": ports, not a named bootstrap, so Sluice
  // creates the topics it needs; never started or stopped by the commands.
  const env = {
    SLUICE_KAFKA_PORT: testEnv.kafkaBootstrap.split(':')[1] ?? '',
    SLUICE_REDIS_PORT: new URL(testEnv.redisUrl).port,
    SLUICE_MANAGE_INFRA: 'false',
    SLUICE_STATE_DIR: path.join(dir, '.sluice'),
    SLUICE_JOBMANAGER_PORT: '0',
    SLUICE_CHECKPOINT_INTERVAL: '500ms',
  };

  before(async () => {
    cpSync(path.join(projectRoot, 'examples', 'word-lengths'), dir, { recursive: true });
    await run('npm', ['install', '--no-audit', '--no-fund', projectRoot], { cwd: dir });
  });
  after(async () => {
    await stopAllSluice();
    for (const topic of [input, output, `${input}.dlq`]) await admin.deleteTopic(topic).catch(() => {});
    admin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs the job's unit test with sluice/testing, in node:test, with no Kafka and no Redis", async () => {
    // As a user runs it: not as a child of this test runner (node:test would report to it instead).
    const { NODE_TEST_CONTEXT: _, ...userEnv } = process.env;
    const { stdout } = await run('npm', ['test'], {
      cwd: dir,
      env: { ...userEnv, SLUICE_TEST_KAFKA_BOOTSTRAP: '' },
    });
    assert.match(stdout, /# pass 1/);
    assert.match(stdout, /# fail 0/);
  });

  it("type-checks against the package's declarations, which catch a wrong type", async () => {
    const tsc = path.join(projectRoot, 'node_modules', '.bin', 'tsc');
    const typeRoots = ['--typeRoots', path.join(projectRoot, 'node_modules', '@types')];
    await run(tsc, ['-p', '.', ...typeRoots], { cwd: dir });
    writeFileSync(
      path.join(dir, 'wrong.ts'),
      "import { defineJob, json, kafkaSink, z } from 'sluice';\n" +
        "export default defineJob({ name: 'w', build(j) { j.fromKafka('t', json(z.object({ n: z.number() })))" +
        ".map((r) => r.n).sinkTo(kafkaSink({ topic: 'o', key: (n) => n.toUpperCase() })); } });\n",
    );
    const failed = await run(tsc, ['-p', '.', ...typeRoots], { cwd: dir }).then(
      () => undefined,
      (error: { stdout: string }) => error.stdout,
    );
    rmSync(path.join(dir, 'wrong.ts'));
    assert.match(failed ?? '', /Property 'toUpperCase' does not exist on type 'number'/);
  });

  it('refuses a bad --param, a missing file and a file without a job, with exit 2 and what was expected', async () => {
    const cli = (args: string[]) =>
      run(process.execPath, [bin, ...args], { cwd: dir, env: { ...process.env, ...env } }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
    const param = await cli(['run', './word-lengths.ts', '--param', 'minLength=many']);
    assert.equal(param.code, 2);
    assert.match(param.stderr, /SLUICE_ERR_JOB_PARAMETER_INVALID/);
    assert.match(param.stderr, /--param minLength=many/);
    const missing = await cli(['run', './nope.ts']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /SLUICE_ERR_JOB_FILE_INVALID: No job file at .*nope\.ts/);
    writeFileSync(path.join(dir, 'not-a-job.ts'), 'export default { hello: 1 };\n');
    const notJob = await cli(['run', './not-a-job.ts']);
    assert.equal(notJob.code, 2);
    assert.match(notJob.stderr, /does not export a job: its default export is an object with keys hello/);
    rmSync(path.join(dir, 'not-a-job.ts'));
  });

  it('creates missing topics on the local cluster (refuses them on a named one), and stops cleanly on Ctrl-C', async () => {
    const fresh = `${name}-fresh`;
    const named = await run(
      process.execPath,
      [
        bin,
        'run',
        './word-lengths.ts',
        '--param',
        `input=${fresh}`,
        '--bootstrap-servers',
        testEnv.kafkaBootstrap,
      ],
      { cwd: dir, env: { ...process.env, ...env } },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    assert.equal(named.code, 2);
    assert.match(
      named.stderr,
      new RegExp(
        `SLUICE_ERR_KAFKA_TOPIC_MISSING: Topic '${fresh}' does not exist on ${testEnv.kafkaBootstrap}`,
      ),
    );
    assert.equal(await admin.partitionCount(fresh), undefined, 'nothing was created there');
    // Streaming until stopped: Ctrl-C (SIGINT to the whole process group, as a terminal sends it) is
    // a clean stop: the JobManager takes a last checkpoint and then stops its TaskManagers, exit 0.
    const local = startSluice(
      'sluice run (fresh topics)',
      [
        'run',
        './word-lengths.ts',
        '--group',
        `${fresh}-group`,
        '--param',
        `input=${fresh}`,
        '--param',
        `output=${fresh}-out`,
        '--taskmanagers',
        '1',
      ],
      { bin, cwd: dir, env: { ...env, SLUICE_PARTITIONS: '3' }, detached: true },
    );
    const assigned = await local.waitForEvent('taskmanager.partitions_assigned', undefined, 60_000);
    // The TaskManagers are not in the terminal's process group: its Ctrl-C reaches the JobManager only.
    const { stdout: group } = await run('ps', ['-o', 'pgid=', '-p', String(assigned.pid)]);
    assert.notEqual(Number(group.trim()), local.pid, 'a TaskManager in the process group of `sluice run`');
    process.kill(-local.pid, 'SIGINT');
    assert.equal((await local.exited).code, 0, local.lines.join('\n'));
    const summary = local.lines.join('\n');
    assert.match(summary, /stopped on request/);
    assert.match(summary, /Checkpoint: +final #\d+ committed at /);
    assert.equal(await admin.partitionCount(fresh), 3, 'the source topic, with SLUICE_PARTITIONS partitions');
    assert.equal(await admin.partitionCount(`${fresh}-out`), 3, 'and the output topic');
    for (const topic of [fresh, `${fresh}-out`, `${fresh}.dlq`])
      await admin.deleteTopic(topic).catch(() => {});
  });

  it('runs on 3 TaskManagers through a kill -9 and writes each result exactly once', async () => {
    // Sample input the README's way (`sluice produce <topic> --key-field id < lines.jsonl`), then more while the job runs.
    const produced = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, 'produce', input, '--key-field', 'id'], {
        cwd: dir,
        env: { ...process.env, ...env },
        stdio: [openSync(path.join(dir, 'lines.jsonl'), 'r'), 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
      });
      child.stderr?.on('data', (b: Buffer) => {
        out += b.toString();
      });
      child.once('close', (code) => resolve({ code, out }));
    });
    assert.equal(produced.code, 0, produced.out);
    assert.match(produced.out, new RegExp(`produced 3 records to '${input}' \\(keyed by id\\)`));
    const first = readFileSync(path.join(dir, 'lines.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; text: string });
    const runLog = path.join(os.tmpdir(), `${name}-run.log`);
    const job = startSluice(
      'sluice run',
      [
        'run',
        './word-lengths.ts',
        '--taskmanagers',
        '3',
        '--stop-when-idle',
        '6s',
        '--param',
        `input=${input}`,
        '--param',
        `output=${output}`,
        '--param',
        'minLength=2',
      ],
      { bin, cwd: dir, env: { ...env, CI: 'true' }, logFile: runLog },
    );
    const lines = [...first];
    const producer = await KafkaProducer.connect({
      security: PLAINTEXT,
      bootstrapServers: testEnv.kafkaBootstrap,
      clientId: 'user-input',
    });
    let killed = false;
    try {
      const assigned = await job.waitForEvent('taskmanager.partitions_assigned', undefined, 90_000);
      // Input flows for ~8 s; a TaskManager that owns partitions is killed half way.
      for (let id = 4; id <= 2000; id++) {
        const l = line(id);
        lines.push(l);
        await producer.send(input, null, Buffer.from(JSON.stringify(l)), String(id));
        if (id % 50 === 0) {
          await producer.flush();
          await new Promise((r) => setTimeout(r, 200));
        }
        if (id === 1000) {
          const pid = Number(assigned.pid);
          process.kill(pid, 'SIGKILL');
          killed = true;
        }
      }
      await producer.flush();
    } finally {
      await producer.close();
    }
    assert.ok(killed, 'a TaskManager was killed mid-stream');
    const exit = await within(job.exited, 120_000, `sluice run to stop when idle; log in ${runLog}`);
    assert.equal(exit.code, 0, `sluice run exited ${exit.code}; log in ${runLog}`);
    assert.ok(
      job.records.some((r) => r.event === 'jobmanager.taskmanager_restarted'),
      'the killed TaskManager was replaced',
    );

    const want = expected(lines, 2);
    const got = await readCommitted(output, want.size);
    const counts = new Map<string, number>();
    for (const r of got)
      counts.set(`${r.line}/${r.position}`, (counts.get(`${r.line}/${r.position}`) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    const missing = [...want.keys()].filter((k) => !counts.has(k));
    const unexpected = [...counts.keys()].filter((k) => !want.has(k));
    assert.deepEqual({ duplicated, missing, unexpected }, { duplicated: [], missing: [], unexpected: [] });
    for (const r of got) assert.deepEqual(r, want.get(`${r.line}/${r.position}`));
    assert.match(job.lines.join('\n'), /JOB SUMMARY|stopped when idle/);
  });

  it('runs as `sluice jobmanager --job` for TaskManagers with `--job`, and refuses one of another build (exit 2, both named)', async () => {
    const jobFile = path.join(dir, 'word-lengths.ts');
    const group = `${name}-service`;
    const jobManager = startSluice(
      'jobmanager',
      [
        'jobmanager',
        '--job',
        './word-lengths.ts',
        '--param',
        `input=${input}`,
        '--param',
        `output=${output}`,
        '--group',
        group,
      ],
      { bin, cwd: dir, env },
    );
    // The same job with one line changed, as a host with an older deployment would have it.
    const other = path.join(dir, 'word-lengths-old.ts');
    writeFileSync(
      other,
      readFileSync(jobFile, 'utf8').replace(
        'minLength: z.number().int().min(1).default(1)',
        'minLength: z.number().int().min(1).default(2)',
      ),
    );
    try {
      const started = await jobManager.waitForEvent('jobmanager.started', undefined, 60_000);
      const url = String(started.url);
      const old = startSluice(
        'old TaskManager',
        ['taskmanager', '--id', 'TM-OLD', '--jobmanager', url, '--job', other],
        {
          bin,
          cwd: dir,
          env,
        },
      );
      const exit = await old.exited;
      assert.equal(exit.code, 2);
      const text = old.lines.join('\n');
      assert.match(text, /SLUICE_ERR_JOBMANAGER_REJECTED/);
      const own = (await prepareJob(jobFile, { input, output })).loaded.buildHash;
      assert.ok(text.includes(`the JobManager runs 'word-lengths' build ${own}`), text);
      assert.match(text, /its job is 'word-lengths' build [0-9a-f]{16} \(.*word-lengths-old\.ts\)/);
      // The same build joins, owns the topic's partitions, and leaves cleanly on SIGTERM.
      const same = startSluice(
        'TaskManager',
        ['taskmanager', '--id', 'TM-SAME', '--jobmanager', url, '--job', './word-lengths.ts'],
        {
          bin,
          cwd: dir,
          env,
        },
      );
      await same.waitForEvent('taskmanager.partitions_assigned', undefined, 60_000);
      await same.stop('SIGTERM');
      assert.equal((await same.exited).code, 0);
      const registry = (await (await fetch(`${url}/taskmanagers`)).json()) as {
        taskmanagers: { id: string }[];
      };
      assert.deepEqual(registry.taskmanagers.map((t) => t.id).sort(), ['TM-SAME'], 'TM-OLD never registered');
    } finally {
      await jobManager.stop('SIGTERM');
      rmSync(other);
    }
    assert.equal((await jobManager.exited).code, 0);
  });
});

/** Everything committed in the topic, read by a read_committed consumer of its own. */
async function readCommitted(topic: string, atLeast: number): Promise<Result[]> {
  const reader = new KafkaConsumer(
    {
      ...baseClientConfig({
        bootstrapServers: testEnv.kafkaBootstrap,
        security: PLAINTEXT,
        clientId: 'user-reader',
      }),
      'group.id': uniqueName('user-reader'),
      'enable.auto.commit': false,
      'isolation.level': 'read_committed',
    },
    { 'auto.offset.reset': 'earliest' },
  );
  reader.on('event.error', () => {});
  await new Promise<void>((resolve, reject) =>
    reader.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  const results: Result[] = [];
  try {
    reader.subscribe([topic]);
    reader.setDefaultConsumeTimeout(500);
    const poll = () =>
      new Promise<Message[]>((resolve, reject) =>
        reader.consume(1000, (err, m) => (err ? reject(err) : resolve(m))),
      );
    await eventually(
      `${atLeast} results in ${topic}`,
      async () => {
        for (const m of await poll()) results.push(JSON.parse(String(m.value)) as Result);
        return results.length >= atLeast ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 0 },
    );
    // A few more polls: a duplicate would show up now.
    for (let i = 0; i < 4; i++)
      for (const m of await poll()) results.push(JSON.parse(String(m.value)) as Result);
    return results;
  } finally {
    await disconnectConsumer(reader);
  }
}
