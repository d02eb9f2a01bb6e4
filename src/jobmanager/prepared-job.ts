// A job ready for the JobManager: its file loaded (and fingerprinted), its parameters read through
// its schema, its graph planned. Everything that can be wrong with a job is found here, before
// Kafka, Redis or any TaskManager is touched.

import type { RawParameters } from '../plan/job-parameters.js';
import { type JobPlan, planJob } from '../plan/job-plan.js';
import { type LoadedJob, loadJobFile } from '../runtime/job-file.js';

export interface PreparedJob {
  readonly loaded: LoadedJob;
  readonly plan: JobPlan;
  /** The `--param` texts as given: they travel in the JobSpec, each TaskManager reads them again. */
  readonly parameters: RawParameters;
}

export async function prepareJob(file: string, parameters: RawParameters): Promise<PreparedJob> {
  const loaded = await loadJobFile(file);
  return { loaded, plan: planJob(loaded.definition, parameters), parameters };
}
