// The state backend of one task of a stage with keyed steps: where its local store lives on this
// host (<stateDir>/<TaskManager>/<group>/<topic>-<partition>), which changelog partition backs it,
// and what the TaskManager is told while it restores — or when its disk fails it.

import path from 'node:path';
import type { ChangelogReader } from '../connectors/kafka/changelog-reader.js';
import type { SluiceError } from '../errors/sluice-error.js';
import type { EventLog } from '../logging/event-log.js';
import type { JobPlan } from '../plan/job-plan.js';
import type { JobSpec } from '../protocol/messages.js';
import type { CompiledStage } from '../runtime/compile-stage.js';
import { TaskStateBackend } from '../runtime/state/task-state-backend.js';

export interface TaskStateContext {
  readonly taskManagerId: string;
  readonly stateDir: string;
  readonly events: EventLog;
  /** The TaskManager's changelog reader (one for all its tasks, connected on first use). */
  readonly reader: () => Promise<ChangelogReader>;
  /** Told once the event is logged: the TaskManager gives its partitions up. */
  readonly onDiskFailed: (error: SluiceError) => void;
}

export function taskStateBackend(
  context: TaskStateContext,
  of: { job: JobSpec; plan: JobPlan; task: { topic: string; partition: number }; stage: CompiledStage },
): TaskStateBackend | undefined {
  const { job, plan, task, stage } = of;
  const stagePlan = plan.stages.find((s) => s.topics.includes(task.topic));
  if (!stagePlan || stagePlan.steps.length === 0) return undefined;
  // The changelog partition is the task's index in its stage (its topics' partitions, in order).
  let index = 0;
  for (const topic of stagePlan.topics) {
    if (topic === task.topic) break;
    index += job.sources.find((s) => s.topic === topic)?.partitions ?? 0;
  }
  const changelogPartition = index + task.partition;
  const starts = new Map((job.changelogs ?? []).map((c) => [c.topic, c.startPositions]));
  const name = `${task.topic}-${task.partition}`;
  const { taskManagerId, events } = context;
  let lastProgressAt = 0;
  let diskFailed = false;
  return new TaskStateBackend({
    dir: path.join(context.stateDir, taskManagerId, job.groupId, name),
    runId: job.runId,
    stage,
    topic: task.topic,
    partition: task.partition,
    changelogPartition,
    changelogs: new Map(stagePlan.steps.map((s) => [s.name, s.changelog])),
    start: (topic) => starts.get(topic)?.[changelogPartition] ?? 0,
    reader: context.reader,
    onDiskFailed: (error) => {
      // A restore retried on the failed disk fails again: it is said once.
      if (diskFailed) return;
      diskFailed = true;
      events.emit({
        type: 'taskmanager.state_disk_failed',
        taskManagerId,
        task: name,
        error: `${error.qualifiedCode}: ${error.message}`,
      });
      context.onDiskFailed(error);
    },
    onRestoreProgress: (p) => {
      // A long restore says how far it got every 2 s; each changelog's end is logged once.
      if (!p.done && p.ms - lastProgressAt < 2000) return;
      lastProgressAt = p.ms;
      events.emit({
        type: p.done ? 'taskmanager.state_restored' : 'taskmanager.state_restoring',
        taskManagerId,
        task: name,
        changelog: p.topic,
        records: p.records,
        ms: p.ms,
      });
    },
  });
}
