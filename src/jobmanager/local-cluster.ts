// A JobManager and the TaskManager processes it starts on this host: the unit `sluice run`, the
// stress and reliability commands and the integration tests drive. It knows when the group is
// "distributed" (every partition owned by exactly one TaskManager, every TaskManager ACTIVE or IDLE).

import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckpointStore } from '../checkpoint/checkpoint-store.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import { connectionSecurityEnv } from '../config/connection-env.js';
import type { Secret } from '../config/secret.js';
import type { KafkaSecurity, RedisConfig, SluiceConfig } from '../config/sluice-config.js';
import { SluiceError } from '../errors/sluice-error.js';
import type { EventLog } from '../logging/event-log.js';
import type { LineForwarder } from '../logging/log-forwarder.js';
import type { JobSpec } from '../protocol/messages.js';
import { type CheckpointingOptions, JobManager } from './job-manager.js';
import { StuckExits } from './stuck-exits.js';
import { TaskManagerLauncher } from './taskmanager-launcher.js';
import { isGone, type TaskManagerView } from './taskmanager-registry.js';

export interface LocalClusterOptions {
  job: JobSpec;
  /**
   * This process's Kafka and Redis security settings: used by the JobManager's own clients, and
   * handed to the TaskManagers started here through their environment (never their command line);
   * and the cluster secret the JobManager asks of every TaskManager (passed on as its file).
   */
  security: { kafka: KafkaSecurity; redis: RedisConfig; cluster?: Secret | undefined };
  jobManagerPort: number;
  jobManagerHost?: string;
  /** Command that starts one TaskManager (the CLI gives `node bin/sluice.js taskmanager`). */
  taskManagerCommand: readonly string[];
  logDir: string;
  events: EventLog;
  forwardLine: LineForwarder;
  env?: NodeJS.ProcessEnv;
  checkpointing?: CheckpointingOptions;
  /** Start a TaskManager again (same id) when it dies without being asked to stop. */
  restartOnCrash?: boolean;
  /**
   * How long the TaskManagers started here work on without this JobManager. A run's JobManager
   * never comes back, so a short grace keeps no strays after it died; a service's is the setting.
   */
  reconnectGraceMs?: number;
}

/** What a run's and a service's cluster alike take from the configuration and the checkpoint store. */
export function clusterSettings(
  config: SluiceConfig,
  store: CheckpointStore,
  previous: CompletedCheckpoint | undefined,
): Pick<
  LocalClusterOptions,
  'security' | 'jobManagerPort' | 'jobManagerHost' | 'restartOnCrash' | 'checkpointing'
> {
  return {
    security: { kafka: config.kafka.security, redis: config.redis, cluster: config.runtime.clusterSecret },
    jobManagerPort: config.runtime.jobManagerPort,
    jobManagerHost: config.runtime.jobManagerHost,
    restartOnCrash: config.runtime.restartTaskManagers,
    checkpointing: {
      intervalMs: config.runtime.checkpointIntervalMs,
      timeoutMs: config.runtime.checkpointTimeoutMs,
      store,
      ...(previous ? { previous } : {}),
      ...(config.runtime.failPoint
        ? { onStored: failPointAfterStored(config.runtime.failPoint.checkpoint) }
        : {}),
    },
  };
}

/**
 * SLUICE_FAIL_POINT=checkpoint-stored:<n>: the process dies (SIGKILL, no clean-up) once checkpoint n
 * or a later one is stored and before it is announced: the TaskManagers never hear of it, the store
 * has it. What a restarted JobManager must cope with (a crash at the worst moment, on purpose).
 */
function failPointAfterStored(checkpoint: number): (stored: CompletedCheckpoint) => void {
  return (stored) => {
    if (stored.id < checkpoint) return;
    process.stderr.write(
      `fail point checkpoint-stored:${checkpoint}: checkpoint ${stored.id} stored, not announced - SIGKILL\n`,
    );
    process.kill(process.pid, 'SIGKILL');
  };
}

export class LocalCluster {
  readonly jobManager: JobManager;
  readonly #o: LocalClusterOptions;
  #launcher: TaskManagerLauncher | undefined;
  /** Exits nobody asked for (crashes, kill -9). */
  readonly unexpectedExits: { id: string; pid: number; code: number | null; signal: string | null }[] = [];
  readonly #stopping = new Set<string>();
  readonly restarts: { id: string; at: number; pid: number }[] = [];
  #shuttingDown = false;
  #stuckCheck: NodeJS.Timeout | undefined;

  constructor(options: LocalClusterOptions) {
    this.#o = options;
    this.jobManager = new JobManager({
      job: options.job,
      kafkaSecurity: options.security.kafka,
      port: options.jobManagerPort,
      ...(options.jobManagerHost ? { host: options.jobManagerHost } : {}),
      events: options.events,
      ...(options.checkpointing ? { checkpointing: options.checkpointing } : {}),
      clusterSecret: options.security.cluster,
    });
  }

  get registry() {
    return this.jobManager.registry;
  }

  get launcher(): TaskManagerLauncher {
    if (!this.#launcher) throw new Error('LocalCluster.start() first');
    return this.#launcher;
  }

  async start(): Promise<string> {
    const url = await this.jobManager.start();
    this.#launcher = new TaskManagerLauncher({
      // Every TaskManager started here loads the same job file: its build is checked at registration.
      command: [...this.#o.taskManagerCommand, '--job', this.#o.job.job.file],
      jobManagerUrl: url,
      logDir: path.join(this.#o.logDir),
      env: {
        ...process.env,
        ...connectionSecurityEnv(this.#o.security.kafka, this.#o.security.redis, this.#o.security.cluster),
        ...this.#o.env,
        SLUICE_LOG_FORMAT: 'json',
        SLUICE_JOBMANAGER_RECONNECT_TIMEOUT: `${this.#o.reconnectGraceMs ?? 5000}ms`,
      },
      onLine: (id, line) => this.#o.forwardLine(line, id),
      onExit: (id, pid, code, signal) => {
        this.#o.events.emit({ type: 'jobmanager.taskmanager_exited', taskManagerId: id, pid, code, signal });
        const unexpected = !this.#stopping.has(id) && !this.#shuttingDown;
        this.registry.exited(id, pid, !unexpected);
        if (unexpected) this.unexpectedExits.push({ id, pid, code, signal });
        this.#stopping.delete(id);
        if (unexpected && this.#o.restartOnCrash) {
          // As Flink's JobManager asks for a replacement TaskManager: a new process, same id.
          setTimeout(() => {
            if (this.#shuttingDown) return;
            const newPid = this.launcher.launch(id);
            this.restarts.push({ id, at: Date.now(), pid: newPid });
            this.#o.events.emit({ type: 'jobmanager.taskmanager_restarted', taskManagerId: id, pid: newPid });
          }, 500);
        }
      },
    });
    const stuck = new StuckExits(this.#o.reconnectGraceMs ?? 5000);
    this.#stuckCheck = setInterval(() => this.#killStuck(stuck), 1000).unref();
    return url;
  }

  /** Kills a TaskManager stuck on its way out (stuck-exits.ts); its exit is a crash like any other. */
  #killStuck(stuck: StuckExits): void {
    const launcher = this.#launcher;
    if (!launcher || this.#shuttingDown) return;
    const running = launcher.runningIds().flatMap((id) => {
      const pid = launcher.pid(id);
      const entry = this.registry.get(id);
      if (pid === undefined) return [];
      const disconnected = entry?.pid === pid && entry.status === 'DISCONNECTED';
      return [{ id, pid, disconnected, stopping: this.#stopping.has(id) }];
    });
    for (const { id, pid, ms } of stuck.check(running, Date.now())) {
      this.#o.events.emit({ type: 'jobmanager.taskmanager_stuck', taskManagerId: id, pid, ms });
      launcher.signal(id, 'SIGKILL');
    }
  }

  launch(ids: readonly string[]): void {
    for (const id of ids) this.launcher.launch(id);
  }

  /** Waits until these TaskManagers are registered; fails early if one of them exits. */
  async waitForRegistered(ids: readonly string[], timeoutMs: number): Promise<void> {
    await this.#waitFor(`${ids.length} TaskManagers to register`, timeoutMs, () => {
      const exited = ids.find((id) => !this.launcher.isRunning(id));
      if (exited)
        return `TaskManager ${exited} exited before registering (see ${path.join(this.#o.logDir, `${exited}.log`)})`;
      return ids.every((id) => {
        const tm = this.registry.get(id);
        return tm !== undefined && !isGone(tm.status);
      })
        ? true
        : undefined;
    });
  }

  /**
   * Waits until every partition has exactly one owner, the load is balanced (owned counts differ by
   * at most one: the end state of both the uniform and the cooperative-sticky assignor, which may
   * pass through unbalanced steps) and every connected TaskManager is ACTIVE or IDLE.
   */
  async waitForDistribution(timeoutMs: number, expectedTaskManagers?: number): Promise<TaskManagerView[]> {
    const slots = this.jobManager.slots.size;
    let snapshot: TaskManagerView[] = [];
    await this.#waitFor('every partition to be assigned', timeoutMs, () => {
      snapshot = this.registry.connected();
      if (expectedTaskManagers !== undefined && snapshot.length !== expectedTaskManagers) return undefined;
      const owners = this.registry.owners();
      for (let slot = 0; slot < slots; slot++) if (owners.get(slot)?.length !== 1) return undefined;
      const counts = snapshot.map((t) => t.tasks.length);
      if (Math.max(...counts) - Math.min(...counts) > 1) return undefined;
      return snapshot.every((t) => t.status === 'ACTIVE' || t.status === 'IDLE') ? true : undefined;
    });
    return snapshot;
  }

  /** kill -9 (or another signal) of one TaskManager, as a crash: it is restarted if restartOnCrash. */
  kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): boolean {
    return this.launcher.signal(id, signal);
  }

  /** Graceful stop of one TaskManager (the JobManager's `stop`, as SIGTERM would). */
  async stopTaskManager(id: string, timeoutMs = 20_000): Promise<void> {
    this.#stopping.add(id);
    this.launcher.signal(id, 'SIGTERM');
    if (!(await this.launcher.waitForExit(id, timeoutMs))) this.launcher.signal(id, 'SIGKILL');
  }

  /**
   * Stops the TaskManagers (they leave the group), then the JobManager. `keepRemote`: only those
   * started here; the others keep consuming and register with the next JobManager (a restart).
   */
  async shutdown(graceMs = 20_000, options: { keepRemote?: boolean } = {}): Promise<void> {
    this.#shuttingDown = true;
    clearInterval(this.#stuckCheck);
    if (this.#launcher) {
      // One that stopped answering (its event loop stuck in job code) cannot hear "stop": ended now,
      // not after the grace (which may outlast the caller's patience and leave it orphaned).
      for (const id of this.#launcher.runningIds())
        if (this.registry.get(id)?.status === 'DISCONNECTED') this.#launcher.signal(id, 'SIGKILL');
      if (options.keepRemote) {
        for (const id of this.#launcher.runningIds())
          this.jobManager.stopTaskManager(id, 'JobManager stopping');
      } else this.jobManager.stopAll('job finished');
      await Promise.all(this.#launcher.runningIds().map((id) => this.#launcher?.waitForExit(id, graceMs)));
      await this.#launcher.stopAll(5000);
    }
    await this.jobManager.close();
  }

  async #waitFor(what: string, timeoutMs: number, check: () => true | string | undefined): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = check();
      if (result === true) return;
      if (typeof result === 'string') throw new SluiceError('JOB_FAILED', result);
      if (Date.now() > deadline) {
        throw new SluiceError(
          'JOB_FAILED',
          `Timed out after ${timeoutMs}ms waiting for ${what}. TaskManagers: ${this.registry
            .list()
            .map((t) => `${t.id}=${t.status}[${t.tasks.join(',')}]`)
            .join(' ')}. Their logs are in ${this.#o.logDir}.`,
        );
      }
      await sleep(100);
    }
  }
}
