// `node --import sluice/register ...`: TypeScript for a user's tests and scripts through the tsx
// that comes with Sluice (its ESM loader), so a job's project needs no loader of its own.

import { register } from 'tsx/esm/api';

register();
