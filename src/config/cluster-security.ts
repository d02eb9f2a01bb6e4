// The JobManager–TaskManager link's one setting: a shared secret, read from a file. On loopback the
// link needs none (only this host's users reach it); once the JobManager listens on another address,
// or a TaskManager's JobManager is on another host, a missing secret stops start-up: without it any
// host that reaches the port could register as a TaskManager, get the job's spec and decline every
// checkpoint (seen: a 20-line WebSocket client did).

import { label, secretFromFile } from './connection-security.js';
import type { Secret } from './secret.js';
import { Settings } from './settings.js';

/** Shorter than this is guessable; `openssl rand -hex 32` gives 64 characters. */
export const MIN_SECRET_LENGTH = 16;

/** 127.0.0.0/8, ::1 and localhost: addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export function clusterSecretOf(
  v: {
    clusterSecretFile: string | undefined;
    jobManagerHost: string | undefined;
    jobManagerUrl: string | undefined;
  },
  problems: string[],
): Secret | undefined {
  const secret =
    v.clusterSecretFile === undefined
      ? undefined
      : secretFromFile('clusterSecretFile', v.clusterSecretFile, 'cluster secret', problems);
  if (secret && secret.reveal().length < MIN_SECRET_LENGTH)
    problems.push(
      `- ${label('clusterSecretFile')}: the secret in ${JSON.stringify(v.clusterSecretFile)} has ${secret.reveal().length} ` +
        `characters; at least ${MIN_SECRET_LENGTH} are needed. Fix: \`openssl rand -hex 32 > ${v.clusterSecretFile}\`.`,
    );
  if (secret || v.clusterSecretFile !== undefined) return secret;
  const fix =
    `Fix: write a secret to a file (\`openssl rand -hex 32 > cluster.secret\`, readable by Sluice only) and set ` +
    `${label('clusterSecretFile')} to it on the JobManager and on every TaskManager.`;
  if (v.jobManagerHost !== undefined && !isLoopback(v.jobManagerHost))
    problems.push(
      `- ${label('jobManagerHost')} is ${v.jobManagerHost}: the JobManager would take TaskManagers from any host that ` +
        `reaches it, with no way to tell them from an intruder. ${fix}`,
    );
  const jobManagerHost = v.jobManagerUrl === undefined ? undefined : hostOf(v.jobManagerUrl);
  if (jobManagerHost !== undefined && !isLoopback(jobManagerHost))
    problems.push(
      `- ${Settings.jobManagerUrl.env} points at ${jobManagerHost}, another host: this TaskManager could not tell its ` +
        `JobManager from an impostor. ${fix}`,
    );
  return undefined;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined; // its own setting says what is wrong with it
  }
}
