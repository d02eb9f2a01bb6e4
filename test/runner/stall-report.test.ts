import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { stallReport } from '../helpers/stall-report.js';
import { eventually } from '../helpers/test-env.js';

/** What `fn` writes to stderr (and only that), while it runs and until `until` says it is complete. */
async function stderrOf(fn: () => void, until: (written: string) => boolean): Promise<string> {
  let written = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    fn();
    await eventually('the report on stderr', () => (until(written) ? true : undefined), { timeoutMs: 5000 });
    return written;
  } finally {
    process.stderr.write = write;
  }
}

describe('a stall report', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-stall-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const runLog = path.join(dir, 'run.log');
  writeFileSync(runLog, `${Array.from({ length: 100 }, (_, i) => `run line ${i}`).join('\n')}\n`);
  mkdirSync(path.join(dir, 'runs', 'r1'), { recursive: true });
  const logged = JSON.stringify({
    time: Date.UTC(2026, 11, 7, 4, 5, 6, 789),
    taskManagerId: 'TM-02',
    event: 'x.y',
    msg: 'tm line b',
  });
  writeFileSync(path.join(dir, 'runs', 'r1', 'TM-02.log'), `tm line a\n${logged}\n`);

  it('names the phase and shows the last lines of the run log and of every TaskManager log, once the time is up', async () => {
    let report: ReturnType<typeof stallReport> | undefined;
    const out = await stderrOf(
      () => {
        report = stallReport('win-x', 50, { logs: [runLog], logDirs: [path.join(dir, 'runs')], lines: 3 });
        report.phase('the broker restarting');
      },
      (w) => w.includes('────\n'),
    );
    report?.clear();
    assert.match(out, /win-x: still running after 0\.05s; in phase "the broker restarting"/);
    assert.match(out, /run line 97\nrun line 98\nrun line 99\n/);
    assert.doesNotMatch(out, /run line 96\n/);
    assert.match(out, /TM-02\.log\ntm line a\n04:05:06\.789 TM-02 x\.y tm line b\n/);
  });

  it('prints nothing once cleared, and prints a failure when asked', async () => {
    let later: ReturnType<typeof stallReport> | undefined;
    const out = await stderrOf(
      () => {
        const report = stallReport('win-y', 30, { logs: [path.join(dir, 'missing.log')] });
        report.clear();
        report.print('failed: boom');
        // Fires after the cleared one would have.
        later = stallReport('win-z', 60, {});
      },
      (w) => w.includes('win-z'),
    );
    later?.clear();
    assert.match(out, /win-y: failed: boom; in phase "starting"/);
    assert.match(out, /missing\.log does not exist/);
    assert.doesNotMatch(out, /win-y: still running/);
  });
});
