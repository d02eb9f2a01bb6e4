// The memory a bench reports is the kernel's own (/proc/<pid>/status): resident = anonymous +
// file-backed (+ shared), and a process that is gone reads as absent, not as zero.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { peakMemory, processMemory, totalMemory } from '../../src/bench/process-memory.js';

describe('process memory', () => {
  it("reads this process's resident memory, split into anonymous and file-backed pages", () => {
    const m = processMemory(process.pid);
    assert.ok(m, 'this process has a /proc entry');
    assert.ok(m.anonBytes > 0 && m.fileBytes > 0, JSON.stringify(m));
    // The kernel's VmRSS is the sum of its three parts (rounded to whole kB each).
    assert.ok(Math.abs(m.rssBytes - m.anonBytes - m.fileBytes) <= 3 * 1024, JSON.stringify(m));
    // A 64 MiB buffer, touched, is anonymous memory: the figure grows by about that much.
    const buffer = Buffer.alloc(64 * 2 ** 20, 1);
    const after = processMemory(process.pid);
    assert.ok(after && after.anonBytes - m.anonBytes > 48 * 2 ** 20, JSON.stringify({ m, after }));
    assert.equal(buffer[buffer.length - 1], 1);
  });

  it('a process that has exited reads as absent, and counts nothing in a total', async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid as number;
    await once(child, 'exit');
    assert.equal(processMemory(pid), undefined);
    const mine = processMemory(process.pid)?.rssBytes ?? 0;
    const total = totalMemory([process.pid, pid]).rssBytes;
    // This process alone (it may have grown by a page between the two reads).
    assert.ok(Math.abs(total - mine) < 2 ** 20, `${total} vs ${mine}`);
  });

  it('a peak keeps the sample with the larger resident total, with its split', () => {
    const a = { rssBytes: 10, anonBytes: 8, fileBytes: 2 };
    const b = { rssBytes: 12, anonBytes: 2, fileBytes: 10 };
    assert.deepEqual(peakMemory(a, b), b);
    assert.deepEqual(peakMemory(b, a), b);
  });
});
