// What the fault tests share: a run of the seed's job against the test broker and Redis with a
// fault schedule of the test's own (duringRun), its TaskManagers' lines, and the checks every such
// run must pass (counter == N, every id exactly once).

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/load-config.js';
import type { RawSettings } from '../../src/config/settings.js';
import { KafkaAdmin } from '../../src/connectors/kafka/admin.js';
import { PLAINTEXT } from '../../src/connectors/kafka/client-config.js';
import { EventLog } from '../../src/logging/event-log.js';
import { createLogger } from '../../src/logging/logger.js';
import { type JobResult, type RunContext, runJob } from '../../src/runs/seed-run.js';
import { seedJobFile } from './cluster.js';
import { projectRoot, testEnv, uniqueName } from './test-env.js';

export interface FaultRun {
  result: JobResult;
  lines: string[];
}

const topics: string[] = [];

/** A topic the test made besides its runs' own (an output topic): deleted with them. */
export function deleteWithFaultRuns(topic: string): void {
  topics.push(topic);
}

/** Deletes the topics of every fault run of this file. */
export async function deleteFaultRunTopics(): Promise<void> {
  const admin = KafkaAdmin.create({
    security: PLAINTEXT,
    bootstrapServers: testEnv.kafkaBootstrap,
    clientId: 'test-faults-cleanup',
  });
  for (const t of topics.splice(0)) await admin.deleteTopic(t).catch(() => {});
  admin.close();
}

export async function faultRun(
  messages: number,
  rate: number,
  duringRun: (ctx: RunContext) => Promise<void>,
  extra: Record<string, string> = {},
): Promise<FaultRun> {
  const name = uniqueName('faults');
  topics.push(name);
  const raw: RawSettings = Object.fromEntries(
    Object.entries({
      topic: name,
      consumerGroup: `${name}-group`,
      sinkCounterKey: `${name}:counter`,
      globalSequenceKey: `${name}:sequence`,
      numMessages: String(messages),
      produceRate: String(rate),
      useKafkaSource: 'true',
      ci: 'true',
      kafkaBootstrap: testEnv.kafkaBootstrap,
      redisUrl: testEnv.redisUrl,
      jobManagerPort: '0',
      jobTimeoutMs: '150s',
      checkpointIntervalMs: '500ms',
      ...extra,
    }).map(([k, v]) => [k, { value: v, source: 'env' as const }]),
  );
  const config = loadConfig(raw, { projectRoot });
  const lines: string[] = [];
  const result = await runJob({
    jobFile: seedJobFile,
    config,
    events: new EventLog(createLogger({ format: 'json', level: 'silent' })),
    forwardLine: (line) => lines.push(line),
    taskManagerCommand: [process.execPath, path.join(projectRoot, 'bin', 'sluice.js'), 'taskmanager'],
    runsDir: mkdtempSync(path.join(os.tmpdir(), 'sluice-faults-')),
    duringRun,
  });
  return { result, lines };
}

export function assertExactlyOnce(run: FaultRun, n: number): void {
  const { result } = run;
  assert.deepEqual(result.failures, [], `run ${result.runId} failed; logs in ${result.logDir}`);
  assert.equal(result.counter, n);
  assert.equal(result.ids?.ok, true, 'every id exactly once');
  assert.equal(result.ids?.distinct, n);
}

export async function until(ctx: RunContext, ms: number): Promise<void> {
  while (ctx.elapsed() < ms) await sleep(20);
}

export function activeIds(ctx: RunContext): string[] {
  return ctx.cluster.registry
    .connected()
    .filter((t) => t.tasks.length > 0)
    .map((t) => t.id);
}
