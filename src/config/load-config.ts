// Validates the raw settings once and returns a frozen SluiceConfig. Every bad value is reported
// together, each naming its variable or flag, the value given and the accepted form.

import os from 'node:os';
import path from 'node:path';
import { SluiceError } from '../errors/sluice-error.js';
import { clusterSecretOf } from './cluster-security.js';
import { kafkaSecurityOf, redisConfigOf } from './connection-security.js';
import { type RawSettings, type SettingName, Settings, type SettingValue } from './settings.js';
import type { SluiceConfig } from './sluice-config.js';

export interface LoadConfigOptions {
  /** Root of the Sluice checkout; default state and cache dirs live under it. */
  projectRoot: string;
  /** Per-command defaults that replace the table's (e.g. pretty logs for interactive commands). */
  defaults?: Partial<Record<SettingName, string>>;
}

export function loadConfig(raw: RawSettings, options: LoadConfigOptions): SluiceConfig {
  const problems: string[] = [];

  function read<N extends SettingName>(name: N): SettingValue<N> | undefined {
    const s = Settings[name];
    const given = raw[name];
    const text = given?.value ?? options.defaults?.[name] ?? s.defaultRaw;
    if (text === undefined) return undefined;
    const parsed = s.schema.safeParse(text);
    if (parsed.success) return parsed.data as SettingValue<N>;
    const where = given?.source === 'flag' && s.flag ? `flag ${s.flag}` : `environment variable ${s.env}`;
    const fix =
      given?.source === 'flag'
        ? `pass ${s.flag} with an accepted value`
        : `set ${s.env} to an accepted value, or unset it to use the default${s.defaultRaw ? ` (${s.defaultRaw})` : ''}`;
    const shown = s.display ? s.display(text) : JSON.stringify(text);
    problems.push(`- ${where}: got ${shown}; expected ${s.accepted}. Fix: ${fix}.`);
    return undefined;
  }

  const v = {
    topic: read('topic'),
    consumerGroup: read('consumerGroup'),
    sinkCounterKey: read('sinkCounterKey'),
    globalSequenceKey: read('globalSequenceKey'),
    numMessages: read('numMessages'),
    useKafkaSource: read('useKafkaSource'),
    ci: read('ci'),
    trackIds: read('trackIds'),
    deadLetterTopic: read('deadLetterTopic'),
    sink: read('sink'),
    delivery: read('delivery'),
    partitions: read('partitions'),
    kafkaPort: read('kafkaPort'),
    kafkaControllerPort: read('kafkaControllerPort'),
    kafkaBootstrap: read('kafkaBootstrap'),
    infraHost: read('infraHost'),
    kafkaWaitTimeoutMs: read('kafkaWaitTimeoutMs'),
    kafkaDebug: read('kafkaDebug'),
    kafkaHeap: read('kafkaHeap'),
    redisPort: read('redisPort'),
    redisUrl: read('redisUrl'),
    redisUsername: read('redisUsername'),
    redisPassword: read('redisPassword'),
    redisPasswordFile: read('redisPasswordFile'),
    redisTlsCa: read('redisTlsCa'),
    clusterSecretFile: read('clusterSecretFile'),
    kafkaSecurityProtocol: read('kafkaSecurityProtocol'),
    kafkaSaslMechanism: read('kafkaSaslMechanism'),
    kafkaSaslUsername: read('kafkaSaslUsername'),
    kafkaSaslPassword: read('kafkaSaslPassword'),
    kafkaSaslPasswordFile: read('kafkaSaslPasswordFile'),
    kafkaSslCaLocation: read('kafkaSslCaLocation'),
    kafkaSslCertificateLocation: read('kafkaSslCertificateLocation'),
    kafkaSslKeyLocation: read('kafkaSslKeyLocation'),
    stateDir: read('stateDir'),
    cacheDir: read('cacheDir'),
    taskManagers: read('taskManagers'),
    jobManagerReconnectTimeoutMs: read('jobManagerReconnectTimeoutMs'),
    taskManagerStallTimeoutMs: read('taskManagerStallTimeoutMs'),
    failPoint: read('failPoint'),
    startFrom: read('startFrom'),
    groupProtocol: read('groupProtocol'),
    jobManagerPort: read('jobManagerPort'),
    jobManagerUrl: read('jobManagerUrl'),
    jobManagerHost: read('jobManagerHost'),
    taskManagerId: read('taskManagerId'),
    progressEvery: read('progressEvery'),
    stopWhenIdleMs: read('stopWhenIdleMs'),
    consumeBatch: read('consumeBatch'),
    jobTimeoutMs: read('jobTimeoutMs'),
    checkpointIntervalMs: read('checkpointIntervalMs'),
    checkpointTimeoutMs: read('checkpointTimeoutMs'),
    checkpointCommit: read('checkpointCommit'),
    produceRate: read('produceRate'),
    restartTaskManagers: read('restartTaskManagers'),
    manageInfra: read('manageInfra'),
    logFormat: read('logFormat'),
    logLevel: read('logLevel'),
  };

  if (v.kafkaPort !== undefined && v.kafkaPort === v.kafkaControllerPort) {
    problems.push(
      `- ${Settings.kafkaPort.env} and ${Settings.kafkaControllerPort.env} are both ${v.kafkaPort}; ` +
        'the broker and its controller need two different ports. Fix: change one of them.',
    );
  }
  if (v.kafkaPort !== undefined && v.kafkaPort === v.redisPort) {
    problems.push(
      `- ${Settings.kafkaPort.env} and ${Settings.redisPort.env} are both ${v.kafkaPort}. Fix: change one of them.`,
    );
  }

  const kafkaSecurity = kafkaSecurityOf(v, problems);
  const clusterSecret = clusterSecretOf(v, problems);
  const redis = redisConfigOf(
    v.redisUrl ?? `redis://${v.infraHost ?? '127.0.0.1'}:${v.redisPort ?? 6379}`,
    v,
    problems,
  );

  if (problems.length > 0) {
    throw new SluiceError(
      'CONFIG_INVALID',
      `Invalid configuration (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.join('\n')}`,
      { details: { problems } },
    );
  }

  // Every value below is defined: a missing one would have added a problem above.
  const need = <T>(x: T | undefined): T => x as T;
  const config: SluiceConfig = {
    job: {
      topic: need(v.topic),
      consumerGroup: need(v.consumerGroup),
      partitions: need(v.partitions),
      numMessages: need(v.numMessages),
      useKafkaSource: need(v.useKafkaSource),
      sinkCounterKey: need(v.sinkCounterKey),
      globalSequenceKey: need(v.globalSequenceKey),
      trackIds: need(v.trackIds),
      sink:
        v.sink === undefined || v.sink === 'redis'
          ? { kind: 'redis-counter' as const }
          : { kind: 'kafka' as const, topic: v.sink.slice('kafka:'.length) },
      delivery: need(v.delivery),
      deadLetterTopic: v.deadLetterTopic ?? `${need(v.topic)}.dlq`,
      deadLetterTopicGiven: v.deadLetterTopic,
      consumerGroupGiven: raw.consumerGroup ? v.consumerGroup : undefined,
    },
    kafka: {
      bootstrapServers: v.kafkaBootstrap ?? `${v.infraHost ?? '127.0.0.1'}:${need(v.kafkaPort)}`,
      bootstrapGiven: v.kafkaBootstrap !== undefined,
      waitTimeoutMs: need(v.kafkaWaitTimeoutMs),
      security: need(kafkaSecurity),
      ...(v.kafkaDebug ? { debug: v.kafkaDebug } : {}),
    },
    redis: need(redis),
    infra: {
      stateDir: path.resolve(v.stateDir ?? path.join(options.projectRoot, '.sluice')),
      cacheDir: path.resolve(v.cacheDir ?? path.join(options.projectRoot, '.cache')),
      host: need(v.infraHost),
      kafkaPort: need(v.kafkaPort),
      kafkaControllerPort: need(v.kafkaControllerPort),
      kafkaHeap: need(v.kafkaHeap),
      redisPort: need(v.redisPort),
    },
    runtime: {
      // The seed: 20 TaskManagers, 5 in CI environments.
      taskManagers: v.taskManagers ?? (v.ci ? 5 : 20),
      groupProtocol: need(v.groupProtocol),
      jobManagerPort: need(v.jobManagerPort),
      jobManagerHost: need(v.jobManagerHost),
      jobManagerUrl: v.jobManagerUrl ?? `http://127.0.0.1:${need(v.jobManagerPort) || 8081}`,
      ...(clusterSecret ? { clusterSecret } : {}),
      taskManagerId: v.taskManagerId ?? defaultTaskManagerId(),
      jobManagerReconnectTimeoutMs: need(v.jobManagerReconnectTimeoutMs),
      taskManagerStallTimeoutMs: need(v.taskManagerStallTimeoutMs),
      ...(v.failPoint ? { failPoint: v.failPoint } : {}),
      taskManagerConnections: {
        ...(v.kafkaBootstrap === undefined ? {} : { bootstrapServers: v.kafkaBootstrap }),
        // Without the credentials a given URL may hold: they are in `redis`, like the job's own.
        ...(v.redisUrl === undefined ? {} : { redisUrl: need(redis).url }),
      },
      startFrom: need(v.startFrom),
      stopWhenIdleMs: v.stopWhenIdleMs,
      progressEvery: need(v.progressEvery),
      consumeBatch: need(v.consumeBatch),
      jobTimeoutMs: need(v.jobTimeoutMs),
      checkpointIntervalMs: need(v.checkpointIntervalMs),
      checkpointTimeoutMs: need(v.checkpointTimeoutMs),
      checkpointCommit: need(v.checkpointCommit),
      produceRate: need(v.produceRate),
      restartTaskManagers: need(v.restartTaskManagers),
      manageInfra: need(v.manageInfra),
    },
    logging: { format: need(v.logFormat), level: need(v.logLevel) },
    ci: need(v.ci),
  };
  return deepFreeze(config);
}

/** Unique across hosts without coordination: the host name (cut to the id alphabet) and the pid. */
function defaultTaskManagerId(): string {
  const host = os
    .hostname()
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 40);
  return `TM-${host}-${process.pid}`;
}

function deepFreeze<T extends object>(o: T): T {
  for (const value of Object.values(o)) {
    if (value !== null && typeof value === 'object') deepFreeze(value);
  }
  return Object.freeze(o);
}
