// Sluice against a secured Kafka and Redis, as production runs it: the job end to end over SASL_SSL
// (SCRAM-SHA-256) and a TLS-only Redis with an ACL user, its TaskManagers given the settings
// through their environment only; PLAIN and mutual TLS through producer, consumer and admin; and
// wrong credentials stopping at once with an error that says what to fix and quotes no secret.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { loadConfig } from '../../src/config/load-config.js';
import type { RawSettings, SettingName } from '../../src/config/settings.js';
import type { SluiceConfig } from '../../src/config/sluice-config.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { connectConsumer, disconnectConsumer } from '../../src/connectors/kafka/consumer.js';
import { KafkaGroupMemberRemover } from '../../src/connectors/kafka/group-member-removal.js';
import { KafkaProducer } from '../../src/connectors/kafka/producer.js';
import type { KafkaConsumer, Message } from '../../src/connectors/kafka/rdkafka.js';
import { waitForKafka } from '../../src/connectors/kafka/readiness.js';
import { pingRedis } from '../../src/connectors/redis/redis-client.js';
import { SluiceError } from '../../src/errors/sluice-error.js';
import { EventLog } from '../../src/logging/event-log.js';
import type { SluiceEvent } from '../../src/logging/events.js';
import { createLogger } from '../../src/logging/logger.js';
import { runJob } from '../../src/runs/seed-run.js';
import { runCli } from '../helpers/cli.js';
import { seedJobFile } from '../helpers/cluster.js';
import { type SecuredInfra, startSecuredInfra } from '../helpers/secured-infra.js';
import { eventually, projectRoot, testEnv, uniqueName } from '../helpers/test-env.js';

const N = 3000;

type Settings = Partial<Record<SettingName, string | undefined>>;

/** As if set in the environment; an undefined value is an unset variable. */
const settings = (values: Settings): RawSettings =>
  Object.fromEntries(
    Object.entries(values).flatMap(([k, v]) => (v === undefined ? [] : [[k, { value: v, source: 'env' }]])),
  );
const quietEvents = () => new EventLog(createLogger({ format: 'json', level: 'silent' }));

/** Fails naming the secret's place (never printing it) if `text` holds one of `secrets`. */
function assertNoSecret(text: string, secrets: readonly string[], where: string): void {
  const found = secrets.findIndex((s) => text.includes(s));
  assert.equal(found, -1, `${where} shows secret #${found}`);
}

/** The command line and environment of a process, as `ps e` and /proc show them. */
function processView(pid: number): { argv: string[]; env: string[] } {
  const split = (file: string) => readFileSync(`/proc/${pid}/${file}`, 'utf8').split('\0').filter(Boolean);
  return { argv: split('cmdline'), env: split('environ') };
}

/** Child processes of this one (the JobManager runs here) whose command line mentions `marker`. */
function childrenRunning(marker: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
      } catch {
        return false;
      }
    });
}

function consumeBatch(consumer: KafkaConsumer, max: number): Promise<Message[]> {
  return new Promise((resolve, reject) =>
    consumer.consume(max, (err, messages) => (err ? reject(err) : resolve(messages))),
  );
}

describe('secured Kafka (SASL_SSL, mutual TLS) and Redis (TLS, AUTH)', { timeout: 300_000 }, () => {
  let infra: SecuredInfra;
  before(async () => {
    infra = await startSecuredInfra(testEnv.cacheDir);
  });
  after(async () => {
    await infra?.stop();
  });

  /** The settings of a client of the secured servers, as a user would write them. */
  const securedSettings = (): Settings => ({
    kafkaBootstrap: infra.kafka.saslSsl,
    kafkaSecurityProtocol: 'SASL_SSL',
    kafkaSaslMechanism: 'SCRAM-SHA-256',
    kafkaSaslUsername: infra.kafka.users.scram.name,
    kafkaSaslPasswordFile: infra.secretFile('kafka-scram.password', `${infra.kafka.users.scram.password}\n`),
    kafkaSslCaLocation: infra.tls.caCert,
    // The user and password in the URL, as many deployments hand them out: moved out at load.
    redisUrl: infra.redis.url.replace(
      'rediss://',
      `rediss://${infra.redis.user.name}:${infra.redis.user.password}@`,
    ),
    redisTlsCa: infra.tls.caCert,
  });

  it(`runs the job end to end over SASL_SSL/SCRAM-SHA-256 and TLS Redis: exactly ${N} counted, no secret shown`, async () => {
    const name = uniqueName('secured-job');
    const config = loadConfig(
      settings({
        ...securedSettings(),
        topic: name,
        consumerGroup: `${name}-group`,
        sinkCounterKey: `${name}:counter`,
        globalSequenceKey: `${name}:sequence`,
        numMessages: String(N),
        useKafkaSource: 'true',
        taskManagers: '2',
        jobManagerPort: '0',
        jobTimeoutMs: '120s',
      }),
      { projectRoot },
    );
    assert.equal(config.redis.url, infra.redis.url, 'the URL kept holds no credentials');
    const seen: SluiceEvent[] = [];
    const events = quietEvents();
    events.subscribe((e) => seen.push(e));
    const tmLines: string[] = [];
    const observed = {
      taskManagers: [] as { argv: string[]; env: string[] }[],
      describers: [] as string[][],
      rest: [] as string[],
    };
    const result = await runJob({
      jobFile: seedJobFile,
      config,
      events,
      forwardLine: (line) => tmLines.push(line),
      taskManagerCommand: [process.execPath, path.join(projectRoot, 'bin', 'sluice.js'), 'taskmanager'],
      // Inside the secured infra's directory, removed with it.
      runsDir: path.join(infra.dir, 'runs'),
      // While the job runs: what `ps` shows of its processes, and what the REST API answers.
      duringRun: async ({ cluster }) => {
        for (const tm of cluster.registry.connected()) observed.taskManagers.push(processView(tm.pid));
        await eventually('the group describer child to run', () =>
          childrenRunning('group-describer-child').length > 0 ? true : undefined,
        );
        for (const pid of childrenRunning('group-describer-child'))
          observed.describers.push(processView(pid).argv);
        const base = cluster.jobManager.url;
        const runId = cluster.jobManager.job.runId;
        for (const route of [
          '/overview',
          '/taskmanagers',
          '/jobs',
          `/jobs/${runId}`,
          `/jobs/${runId}/checkpoints`,
          '/partitions',
          '/metrics',
        ]) {
          const response = await fetch(`${base}${route}`);
          assert.equal(response.status, 200, route);
          observed.rest.push(`${route}: ${await response.text()}`);
        }
      },
    });

    assert.deepEqual(result.failures, []);
    assert.equal(result.verified, true);
    assert.equal(result.counter, N);
    assert.equal(result.ids?.ok, true, 'every id applied exactly once');
    assert.ok(result.finalCheckpoint);
    for (const task of result.finalCheckpoint.tasks)
      assert.equal(
        result.committedOffsets?.[task.partition],
        task.position,
        'offsets committed over SASL_SSL',
      );

    // The TaskManagers got the settings through their environment, never their command line.
    assert.equal(observed.taskManagers.length, 2);
    const passwordFile = config.kafka.security.sasl?.password.file;
    for (const tm of observed.taskManagers) {
      assertNoSecret(tm.argv.join(' '), infra.secrets, `a TaskManager's command line (${tm.argv.join(' ')})`);
      assert.ok(tm.env.includes('SLUICE_KAFKA_SECURITY_PROTOCOL=SASL_SSL'));
      assert.ok(
        tm.env.includes(`SLUICE_KAFKA_SASL_PASSWORD_FILE=${passwordFile}`),
        'the password file, not its value',
      );
      assert.ok(!tm.env.some((v) => v.startsWith('SLUICE_KAFKA_SASL_PASSWORD=')));
      assert.ok(tm.env.includes(`SLUICE_REDIS_URL=${infra.redis.url}`), 'the Redis URL without credentials');
      assert.ok(tm.env.includes(`SLUICE_REDIS_USERNAME=${infra.redis.user.name}`));
    }
    assert.ok(observed.describers.length > 0);
    for (const argv of observed.describers)
      assertNoSecret(argv.join(' '), infra.secrets, "the describer's command line");

    // Nothing printed, logged or served shows a secret.
    for (const body of observed.rest) assertNoSecret(body, infra.secrets, body.slice(0, body.indexOf(':')));
    assertNoSecret(tmLines.join('\n'), infra.secrets, "the TaskManagers' log lines");
    assertNoSecret(JSON.stringify(seen), infra.secrets, "the JobManager's events");
    assertNoSecret(JSON.stringify(config), infra.secrets, 'the configuration as JSON');
    assertNoSecret(inspect(config, { depth: null }), infra.secrets, 'the configuration as printed');
    assertNoSecret(JSON.stringify(result), infra.secrets, 'the job result');
  });

  it('produces, consumes and administers over PLAIN (SASL_SSL) and over mutual TLS', async () => {
    const cases: [string, Settings][] = [
      [
        'PLAIN',
        {
          kafkaBootstrap: infra.kafka.saslSsl,
          kafkaSecurityProtocol: 'SASL_SSL',
          kafkaSaslMechanism: 'PLAIN',
          kafkaSaslUsername: infra.kafka.users.plain.name,
          kafkaSaslPassword: infra.kafka.users.plain.password,
          kafkaSslCaLocation: infra.tls.caCert,
        },
      ],
      [
        'mutual TLS',
        {
          kafkaBootstrap: infra.kafka.mutualTls,
          kafkaSecurityProtocol: 'SSL',
          kafkaSslCaLocation: infra.tls.caCert,
          kafkaSslCertificateLocation: infra.tls.clientCert,
          kafkaSslKeyLocation: infra.tls.clientKey,
        },
      ],
    ];
    for (const [label, values] of cases) {
      const { kafka } = loadConfig(settings(values), { projectRoot });
      const connection = { bootstrapServers: kafka.bootstrapServers, security: kafka.security };
      await waitForKafka({ ...connection, timeoutMs: 30_000, events: quietEvents() });
      const topic = uniqueName(`secured-${label.replace(' ', '-')}`);
      const admin = KafkaAdmin.create({ ...connection, clientId: 'test-secured-admin' });
      const producer = await KafkaProducer.connect({ ...connection, clientId: 'test-secured-producer' });
      const consumer = await connectConsumer({
        ...connection,
        clientId: 'test-secured-consumer',
        groupId: `${topic}-group`,
        groupProtocol: 'consumer',
      });
      try {
        assert.equal(await admin.ensureTopic(topic, 2), 'created', label);
        for (let id = 0; id < 100; id++)
          await producer.send(topic, id % 2, Buffer.from(String(id)), String(id));
        await producer.flush();
        consumer.subscribe([topic]);
        const ids = new Set<string>();
        await eventually(
          `the 100 records read back over ${label}`,
          async () => {
            for (const m of await consumeBatch(consumer, 100)) ids.add(String(m.value));
            return ids.size === 100 ? true : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 0 },
        );
        const group = await eventually(`the group described over ${label}`, async () => {
          const g = await admin.describeGroup(`${topic}-group`);
          return g.members.length === 1 ? g : undefined;
        });
        assert.equal(group.members[0]?.clientId, 'test-secured-consumer');
        // The JobManager's LeaveGroup client (another library) over the same settings: the broker
        // removes the member it names, and says so for one it does not know.
        const remover = new KafkaGroupMemberRemover({ ...connection, clientId: 'test-secured-remover' });
        try {
          await remover.remove(`${topic}-group`, [group.members[0]?.memberId ?? ''], 'test');
          await assert.rejects(
            remover.remove(`${topic}-group`, ['no-such-member'], 'test'),
            (error: unknown) => {
              assert.ok(error instanceof SluiceError && error.code === 'KAFKA_ADMIN_FAILED', String(error));
              assert.match(error.message, /no-such-member/);
              return true;
            },
          );
        } finally {
          await remover.close();
        }
        await admin.deleteTopic(topic);
      } finally {
        await disconnectConsumer(consumer);
        await producer.close();
        admin.close();
      }
    }
  });

  it('stops at once with KAFKA_AUTH_FAILED on a wrong password, mechanism, CA or a missing client certificate', async () => {
    const wrong = `wrong-${uniqueName('pw')}`;
    const scram = infra.kafka.users.scram;
    const cases: [string, Settings, RegExp][] = [
      [
        'a wrong password',
        { ...securedSettings(), kafkaSaslPasswordFile: undefined, kafkaSaslPassword: wrong },
        new RegExp(
          `SASL user '${scram.name}' \\(SCRAM-SHA-256\\): the broker refused the SASL user name or password`,
        ),
      ],
      [
        'a mechanism the listener does not enable',
        { ...securedSettings(), kafkaSaslMechanism: 'SCRAM-SHA-512' },
        /the listener does not enable this SASL mechanism/,
      ],
      [
        "the system's CAs instead of the private one",
        { ...securedSettings(), kafkaSslCaLocation: undefined },
        /certificate could not be verified/,
      ],
      [
        'no client certificate on the mutual-TLS listener',
        {
          kafkaBootstrap: infra.kafka.mutualTls,
          kafkaSecurityProtocol: 'SSL',
          kafkaSslCaLocation: infra.tls.caCert,
        },
        /refused this client's certificate/,
      ],
    ];
    for (const [label, values, reason] of cases) {
      const { kafka } = loadConfig(settings(values), { projectRoot });
      // The deadline is far: KAFKA_NOT_READY would mean the refusal was waited out, not seen.
      await assert.rejects(
        waitForKafka({
          bootstrapServers: kafka.bootstrapServers,
          security: kafka.security,
          timeoutMs: 60_000,
          events: quietEvents(),
        }),
        (error: unknown) => {
          assert.ok(error instanceof SluiceError, label);
          assert.equal(error.code, 'KAFKA_AUTH_FAILED', `${label}: ${error.message}`);
          assert.match(error.message, reason, label);
          assert.match(error.message, /Fix: check SLUICE_KAFKA_SECURITY_PROTOCOL/);
          assertNoSecret(
            `${error.message} ${JSON.stringify(error.details)}`,
            [...infra.secrets, wrong],
            label,
          );
          return true;
        },
      );
    }
  });

  it('stops at once with REDIS_AUTH_FAILED on a wrong or missing password, or an unverifiable certificate', async () => {
    const wrong = `wrong-${uniqueName('pw')}`;
    const loadedWith = (values: Settings) =>
      loadConfig(settings({ redisUrl: infra.redis.url, ...values }), { projectRoot }).redis;
    const cases: [string, SluiceConfig['redis'], RegExp][] = [
      [
        'a wrong password',
        loadedWith({
          redisUsername: infra.redis.user.name,
          redisPassword: wrong,
          redisTlsCa: infra.tls.caCert,
        }),
        new RegExp(`refused the credentials of user '${infra.redis.user.name}'.*WRONGPASS`),
      ],
      ['no password', loadedWith({ redisTlsCa: infra.tls.caCert }), /requires a password.*NOAUTH/],
      [
        "the system's CAs instead of the private one",
        loadedWith({ redisPassword: infra.redis.defaultPassword }),
        /TLS certificate that Sluice could not verify/,
      ],
    ];
    for (const [label, redis, reason] of cases) {
      await assert.rejects(pingRedis(redis, 5000), (error: unknown) => {
        assert.ok(error instanceof SluiceError, label);
        assert.equal(error.code, 'REDIS_AUTH_FAILED', `${label}: ${error.message}`);
        assert.match(error.message, reason, label);
        assertNoSecret(`${error.message} ${JSON.stringify(error.details)}`, [...infra.secrets, wrong], label);
        return true;
      });
    }
    // And the right ones work: the default user, and the ACL user.
    const { user, defaultPassword } = infra.redis;
    const ca = infra.tls.caCert;
    assert.match(await pingRedis(loadedWith({ redisPassword: defaultPassword, redisTlsCa: ca })), /^\d/);
    const asUser = loadedWith({ redisUsername: user.name, redisPassword: user.password, redisTlsCa: ca });
    assert.match(await pingRedis(asUser), /^\d/);
  });

  it('`sluice jobmanager` exits 2 with the refusal, quoting no password, for wrong Kafka or Redis credentials', async () => {
    const wrong = `wrong-${uniqueName('pw')}`;
    const name = uniqueName('secured-cli');
    const base = {
      SIMULATOR_KAFKA_TOPIC: name,
      SIMULATOR_KAFKA_CONSUMER_GROUP: `${name}-group`,
      SLUICE_STATE_DIR: path.join(infra.dir, 'cli-state'),
      SLUICE_KAFKA_BOOTSTRAP: infra.kafka.saslSsl,
      SLUICE_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      SLUICE_KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      SLUICE_KAFKA_SASL_USERNAME: infra.kafka.users.scram.name,
      SLUICE_KAFKA_SASL_PASSWORD: infra.kafka.users.scram.password,
      SLUICE_KAFKA_SSL_CA_LOCATION: infra.tls.caCert,
      SLUICE_REDIS_URL: infra.redis.url,
      SLUICE_REDIS_USERNAME: infra.redis.user.name,
      SLUICE_REDIS_PASSWORD: infra.redis.user.password,
      SLUICE_REDIS_TLS_CA: infra.tls.caCert,
    };
    const cases: [string, Record<string, string>, string][] = [
      ['Kafka', { SLUICE_KAFKA_SASL_PASSWORD: wrong }, 'SLUICE_ERR_KAFKA_AUTH_FAILED'],
      ['Redis', { SLUICE_REDIS_PASSWORD: wrong }, 'SLUICE_ERR_REDIS_AUTH_FAILED'],
    ];
    for (const [label, override, code] of cases) {
      const run = await runCli(['jobmanager', '--jobmanager-port', '0'], { ...base, ...override }, 90_000);
      const output = `${run.stdout}\n${run.stderr}`;
      assert.equal(run.code, 2, `${label}: exit ${run.code}\n${output}`);
      assert.ok(run.stderr.includes(code), `${label}: ${run.stderr}`);
      assertNoSecret(output, [...infra.secrets, wrong], `${label}: the command's output`);
    }
  });
});
