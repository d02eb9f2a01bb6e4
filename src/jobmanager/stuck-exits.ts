// A TaskManager started here that closed its connection and never exited. A TaskManager that loses
// its JobManager keeps consuming for its reconnect grace, then stops; one that hits a fatal error
// (ownership lost, a failed state disk) exits within 10 s. One still running long after both is
// stuck on its way out — in the one-hour soak, two TaskManagers that lost their partitions during a
// broker freeze hung in their exit for 23 minutes, holding memory, until the run's end killed them:
// their native Kafka clients never finished closing, and no JavaScript timer runs in a process
// stuck there. The JobManager, whose child it is, kills it (and starts it again when it restarts
// crashed TaskManagers), as Flink's ResourceManager releases a TaskExecutor it lost.

/** Past the reconnect grace, how long a closed connection's process may take to exit. */
export const EXIT_LINGER_MS = 30_000;

export interface RunningTaskManager {
  readonly id: string;
  readonly pid: number;
  /** Its connection to the JobManager is closed (the registry's DISCONNECTED). */
  readonly disconnected: boolean;
  /** Asked to stop (its own stop bounds the wait). */
  readonly stopping: boolean;
}

export class StuckExits {
  readonly #limitMs: number;
  /** pid → since when its connection has been closed. */
  readonly #since = new Map<number, number>();

  constructor(reconnectGraceMs: number, lingerMs = EXIT_LINGER_MS) {
    this.#limitMs = reconnectGraceMs + lingerMs;
  }

  /** The processes to kill now, with how long each has been disconnected. */
  check(running: readonly RunningTaskManager[], now: number): { id: string; pid: number; ms: number }[] {
    const stuck: { id: string; pid: number; ms: number }[] = [];
    const seen = new Set<number>();
    for (const t of running) {
      if (!t.disconnected || t.stopping) continue;
      seen.add(t.pid);
      const since = this.#since.get(t.pid) ?? now;
      this.#since.set(t.pid, since);
      if (now - since > this.#limitMs) stuck.push({ id: t.id, pid: t.pid, ms: now - since });
    }
    // Connected again, stopping, or gone: its clock starts over.
    for (const pid of this.#since.keys()) if (!seen.has(pid)) this.#since.delete(pid);
    for (const s of stuck) this.#since.delete(s.pid);
    return stuck;
  }
}
