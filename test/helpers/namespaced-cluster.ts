// The seed's job across network namespaces (test-network.ts), as the multi-host and broker-cut tests
// run it: Kafka and Redis started by `sluice infra up` inside their hosts, a JobManager bound to its
// host's address with a cluster secret, TaskManagers on the hosts named, every log in the state dir.

import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { screenshotPath } from './browser.js';
import { type SluiceProcess, startSluice, stoppingAllSluice } from './sluice-process.js';
import { projectRoot, testEnv, uniqueName } from './test-env.js';
import type { TestHost, TestNetwork } from './test-network.js';

/** `sluice infra up [services]` inside `host`; returns what stops them again. */
export function infraIn(host: TestHost, stateDir: string, services: readonly string[] = []): () => void {
  const run = (command: string[]) => {
    const argv = host.wrap([
      'node',
      path.join(projectRoot, 'bin', 'sluice.js'),
      'infra',
      ...command,
      '--infra-host',
      host.address,
      '--state-dir',
      stateDir,
    ]);
    execFileSync(argv[0] ?? 'ip', argv.slice(1), {
      env: { ...process.env, SLUICE_CACHE_DIR: testEnv.cacheDir },
      stdio: 'ignore',
      timeout: 120_000,
    });
  };
  run(['up', ...services]);
  return () => run(['down']);
}

/** A failed run keeps its processes' logs in reports/test-artifacts/<name>-<time>/ (read why next time). */
export function keepLogs(stateDir: string, name: string): void {
  cpSync(stateDir, path.dirname(screenshotPath(`${name}-${Date.now().toString(36)}/x`)), {
    recursive: true,
    filter: (src) => src === stateDir || (path.dirname(src) === stateDir && src.endsWith('.log')),
  });
}

export interface NamespacedCluster {
  readonly name: string;
  readonly counterKey: string;
  readonly jobManagerUrl: string;
  /** The settings every process of the cluster gets (topic, group, counter, state dir). */
  readonly env: Record<string, string>;
  /** Where Kafka and Redis are, and the cluster secret: the flags every process takes. */
  readonly connection: readonly string[];
  readonly jobManager: SluiceProcess;
  readonly taskManagers: Map<string, SluiceProcess>;
}

export function startNamespacedCluster(o: {
  net: TestNetwork;
  stateDir: string;
  bootstrap: string;
  redisUrl: string;
  /** Names the topic, group and counter. */
  prefix: string;
  /** [TaskManager id, host name] pairs. */
  taskManagers: readonly (readonly [string, string])[];
}): NamespacedCluster {
  const name = uniqueName(o.prefix);
  const counterKey = `${name}:counter`;
  const jobManagerHost = o.net.host('jobmanager');
  const jobManagerUrl = `http://${jobManagerHost.address}:8081`;
  const env = {
    SIMULATOR_KAFKA_TOPIC: name,
    SIMULATOR_KAFKA_CONSUMER_GROUP: `${name}-group`,
    SIMULATOR_REDIS_KEY_SINK_COUNTER: counterKey,
    SLUICE_CHECKPOINT_INTERVAL: '500ms',
    SLUICE_STATE_DIR: o.stateDir,
  };
  const secretFile = path.join(o.stateDir, 'cluster.secret');
  writeFileSync(secretFile, `${'5e'.repeat(32)}\n`, { mode: 0o600 });
  const connection = [
    '--bootstrap-servers',
    o.bootstrap,
    '--redis',
    o.redisUrl,
    '--cluster-secret-file',
    secretFile,
  ];
  const jobManager = startSluice(
    'jobmanager',
    ['jobmanager', '--bind', jobManagerHost.address, ...connection],
    {
      env,
      wrap: jobManagerHost.wrap,
      logFile: path.join(o.stateDir, 'jobmanager.log'),
    },
  );
  const taskManagers = new Map<string, SluiceProcess>();
  // Each host runs its TaskManager as docs/deployment.md says, under a supervisor that starts it
  // again when it exits asking for it (exit 3: a TaskManager whose consumer missed its own
  // revocation after its host was cut off exits so; systemd's Restart=on-failure). A signal (the
  // test's kill -9, its stop at the end) or a clean exit ends it.
  const launch = (id: string, host: string) => {
    const process = startSluice(
      id,
      ['taskmanager', '--id', id, '--jobmanager', jobManagerUrl, ...connection],
      {
        env,
        wrap: o.net.host(host).wrap,
        logFile: path.join(o.stateDir, `${id}.log`),
      },
    );
    taskManagers.set(id, process);
    void process.exited.then(({ code }) => {
      if (code === 3 && taskManagers.get(id) === process && !stoppingAllSluice()) launch(id, host);
    });
  };
  for (const [id, host] of o.taskManagers) launch(id, host);
  return { name, counterKey, jobManagerUrl, env, connection, jobManager, taskManagers };
}
