// A job run with instruments: a recorder sampling the registry, and the fault schedule carried
// out while the input flows. Stress and reliability runs are this, with and without faults.

import { setTimeout as sleep } from 'node:timers/promises';
import type {
  OwnershipChange,
  PartitionResumed,
  TaskManagerView,
} from '../jobmanager/taskmanager-registry.js';
import { type FaultEnvironment, type FaultRecord, injectFaults } from './fault-injector.js';
import type { PlannedFault } from './fault-schedule.js';
import { RunRecorder, type RunSample } from './run-recorder.js';
import { type JobResult, type JobRunOptions, runJob } from './seed-run.js';

export interface InstrumentedRun {
  result: JobResult;
  samples: RunSample[];
  faults: FaultRecord[];
  timeline: OwnershipChange[];
  resumed: PartitionResumed[];
  /** Every TaskManager the registry knew at the end (fenced writes, dead letters...). */
  taskManagers: TaskManagerView[];
  /** When the group was told to start (epoch ms): reports measure time from here. */
  startedAt: number;
  /** When the input started (epoch ms). */
  inputStartedAt: number;
  endedAt: number;
}

export async function instrumentedRun(
  options: JobRunOptions & { plan: readonly PlannedFault[]; faultEnvironment: FaultEnvironment },
): Promise<InstrumentedRun> {
  let samples: RunSample[] = [];
  let faults: FaultRecord[] = [];
  let timeline: OwnershipChange[] = [];
  let resumed: PartitionResumed[] = [];
  let taskManagers: TaskManagerView[] = [];
  let startedAt = Date.now();
  let inputStartedAt = Date.now();
  const result = await runJob({
    ...options,
    duringRun: async (ctx) => {
      startedAt = ctx.groupStartedAt;
      inputStartedAt = ctx.inputStartedAt();
      const recorder = new RunRecorder(ctx.cluster.registry, ctx.count);
      // The distribution before the input is part of the story: a sample from the group's start.
      recorder.start();
      try {
        faults = await injectFaults(ctx, options.plan, options.faultEnvironment);
        // Keep recording until the run is done with the counter.
        while (!ctx.done()) await sleep(100);
      } finally {
        await recorder.stop();
        samples = recorder.samples;
        timeline = ctx.cluster.registry.timeline(startedAt);
        resumed = ctx.cluster.registry.resumed(startedAt);
        taskManagers = ctx.cluster.registry.list();
      }
    },
  });
  return {
    result,
    samples,
    faults,
    timeline,
    resumed,
    taskManagers,
    startedAt,
    inputStartedAt,
    endedAt: Date.now(),
  };
}
