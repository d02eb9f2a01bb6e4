// The jobs a TaskManager can run, by name. The JobManager sends the name and parameters; each
// TaskManager builds the same JobGraph from them.

import type { JobGraph } from '../api/pipeline.js';
import type { JobSpec } from '../protocol/messages.js';
import { COUNT_PER_KEY_JOB_NAME, countPerKeyJob } from './count-per-key-job.js';
import { flinkDotNetSampleJob, SAMPLE_JOB_NAME } from './flinkdotnet-sample-job.js';

export function loadJob(spec: JobSpec): JobGraph {
  switch (spec.jobName) {
    case SAMPLE_JOB_NAME:
      return flinkDotNetSampleJob({
        counterKey: spec.counterKey,
        trackIds: spec.trackIds,
        exactlyOnce: spec.delivery === 'exactly-once',
        ...(spec.sink.kind === 'kafka' ? { outputTopic: spec.sink.topic } : {}),
      });
    case COUNT_PER_KEY_JOB_NAME:
      return countPerKeyJob({
        counterKey: spec.counterKey,
        exactlyOnce: spec.delivery === 'exactly-once',
        ...(spec.sink.kind === 'kafka' ? { outputTopic: spec.sink.topic } : {}),
      });
    default:
      throw new Error(
        `Unknown job '${spec.jobName}'. Known jobs: ${SAMPLE_JOB_NAME}, ${COUNT_PER_KEY_JOB_NAME}.`,
      );
  }
}
