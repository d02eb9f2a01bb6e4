// A process's memory as the kernel counts it (/proc/<pid>/status): resident in all, split into
// anonymous memory (heaps, the Kafka client's buffers: what the process itself allocated) and the
// file pages it has mapped in (code, and a memory-mapped store such as LMDB's: page cache the kernel
// may drop and read back). The split is why a store's RSS is not all memory the process needs.

import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  readonly rssBytes: number;
  readonly anonBytes: number;
  readonly fileBytes: number;
}

export const NO_MEMORY: ProcessMemory = { rssBytes: 0, anonBytes: 0, fileBytes: 0 };

/**
 * The "Field:   123 kB" lines of a /proc file of the process, in bytes (0 for a field it lacks);
 * undefined when the process is gone (or /proc is not Linux's).
 */
function procKiB(pid: number, file: 'status' | 'smaps_rollup'): ((field: string) => number) | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
  return (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
}

/** Undefined when the process is gone (or /proc is not Linux's). */
export function processMemory(pid: number): ProcessMemory | undefined {
  const kib = procKiB(pid, 'status');
  if (!kib) return undefined;
  const anon = kib('RssAnon');
  // Shared memory (RssShmem) is neither the process's heap nor a file it maps: counted with the files.
  return { rssBytes: kib('VmRSS'), anonBytes: anon, fileBytes: kib('RssFile') + kib('RssShmem') };
}

/** The memory of several processes together (those still running). */
export function totalMemory(pids: readonly number[]): ProcessMemory {
  let total = NO_MEMORY;
  for (const pid of pids) {
    const m = processMemory(pid);
    if (m)
      total = {
        rssBytes: total.rssBytes + m.rssBytes,
        anonBytes: total.anonBytes + m.anonBytes,
        fileBytes: total.fileBytes + m.fileBytes,
      };
  }
  return total;
}

/** The sample with the larger resident total (a peak over samples, its split as it was then). */
export function peakMemory(a: ProcessMemory, b: ProcessMemory): ProcessMemory {
  return b.rssBytes > a.rssBytes ? b : a;
}

export const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

/**
 * What a process costs the machine beyond what it shares (/proc/<pid>/smaps_rollup): private pages
 * (its own heap, stacks, buffers; no other process has them) and PSS (each shared page divided by
 * the processes that map it). RSS counts the whole Node binary in every process (~38 MiB here), so
 * twenty TaskManagers' RSS sums to far more than they use. Undefined when the process is gone.
 */
export function processFootprint(pid: number): { privateBytes: number; pssBytes: number } | undefined {
  const kib = procKiB(pid, 'smaps_rollup');
  if (!kib) return undefined;
  return { privateBytes: kib('Private_Clean') + kib('Private_Dirty'), pssBytes: kib('Pss') };
}
