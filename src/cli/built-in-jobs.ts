// The job files that come with Sluice (jobs/ in the checkout), as `npm start` and the benchmarks
// run them: compiled to JavaScript in dist/jobs/ by the build, so no TypeScript loader is needed.

import path from 'node:path';
import { projectRoot } from './project-root.js';

export function builtInJobsDir(): string {
  return path.join(projectRoot(), 'dist', 'jobs');
}

/** The seed's job: what `npm start`, `sluice stress` and `sluice reliability` run. */
export function seedJobFile(): string {
  return path.join(builtInJobsDir(), 'flinkdotnet-sample.js');
}
