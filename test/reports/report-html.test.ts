// The HTML report must render in a real browser: headless Chromium (Debian's, driven by
// playwright-core) opens it, no console errors, every chart drawn.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { writeReport } from '../../src/reports/report-files.js';
import type { RunReport } from '../../src/reports/run-report.js';
import { CHROMIUM_PATH, launchChromium, screenshotPath } from '../helpers/browser.js';

function sampleReport(): RunReport {
  const points = (base: number) =>
    Array.from({ length: 20 }, (_, i) => ({ at: 2000 + i * 1000, value: base + (i % 3) * 100 }));
  return {
    command: 'reliability',
    createdAt: '2026-11-25T10:00:00.000Z',
    machine: { cpus: 2, model: 'test cpu', memoryGiB: 24, node: 'v20' },
    settings: { messages: 1000, seed: 7 },
    verdict: 'PASS',
    checks: [
      { name: 'counter == N', ok: true, detail: '1000 == 1000' },
      { name: 'every id exactly once', ok: true, detail: '0 lost, 0 duplicated' },
    ],
    result: {
      runId: 'run-1',
      expected: 1000,
      counter: 1000,
      ids: 'every id 1..1000 applied exactly once: 0 lost, 0 duplicated',
      distributionMs: 2000,
      produceMs: 20_000,
      processingMs: 21_000,
      throughput: 5000,
      latency: { count: 1000, p50: 12, p99: 80, max: 3100, visibleIn: 'redis' },
      checkpoints: { completed: 20, aborted: { TIMEOUT: 1 } },
      committedMatchesCheckpoint: true,
      deadLettered: 0,
      restarts: ['TM-02'],
      failures: [],
      logDir: '/tmp/logs',
    },
    taskManagers: [{ id: 'TM-01', pid: 1, status: 'ACTIVE', partitions: [0], consumed: 500, rssMiB: 110 }],
    faults: [
      {
        kind: 'kill',
        plannedAt: 5000,
        at: 7000,
        elapsedMs: 5000,
        target: 'TM-02',
        affected: [1],
        detail: 'kill -9 TM-02 (partitions 1)',
        durationMs: 0,
        partitions: [{ partition: 1, ms: 3100, by: 'TM-03' }],
        takeoverMs: 3100,
        handovers: [],
      },
    ],
    takeover: { p50: 3100, p99: 3100, max: 3100, count: 1 },
    ownership: [
      { partition: 0, taskManagerId: 'TM-01', from: 0, to: 22_000 },
      { partition: 1, taskManagerId: 'TM-02', from: 0, to: 10_000 },
      { partition: 1, taskManagerId: 'TM-03', from: 10_100, to: 22_000 },
    ],
    resumed: [],
    throughputPerTaskManager: [
      { name: 'TM-01', points: points(2000) },
      { name: 'TM-03', points: points(1500) },
    ],
    throughputOverall: { name: 'all', points: points(3500) },
    partitionRecords: [
      { partition: 0, records: 500 },
      { partition: 1, records: 500 },
    ],
    inputStartMs: 2000,
    durationMs: 22_000,
  };
}

describe('report.html', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-report-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('renders in headless Chromium with its charts and no console errors', async () => {
    assert.ok(
      existsSync(CHROMIUM_PATH),
      `${CHROMIUM_PATH} is missing: \`npm run setup\` installs Debian's chromium`,
    );
    const files = writeReport(sampleReport(), dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${files.html}`);
      assert.deepEqual(errors, []);
      assert.match(await page.title(), /reliability report — PASS/);
      const charts = page.locator('svg.chart');
      assert.equal(
        await charts.count(),
        6,
        'ownership, per-TaskManager and overall throughput, takeover, latency, partitions',
      );
      assert.equal(
        await page.locator('svg.chart').nth(0).locator('rect').count(),
        3,
        'one bar per ownership segment',
      );
      assert.ok((await page.locator('svg.chart polyline').count()) >= 3, 'a line per series');
      const box = await charts.nth(0).boundingBox();
      assert.ok(box && box.width > 300 && box.height > 50, 'the ownership chart has a size');
      assert.match((await page.locator('body').textContent()) ?? '', /kill -9 TM-02 \(partitions 1\)/);
      // Check names and hand-over lines carry emoji (📤 📉): without a colour emoji font Chromium
      // draws empty boxes, as it did before setup installed one.
      assert.match(
        execFileSync('fc-list', [':family=Noto Color Emoji'], { encoding: 'utf8' }),
        /NotoColorEmoji/,
        '`npm run setup` installs fonts-noto-color-emoji',
      );
    } finally {
      await browser.close();
    }
  });

  // Seen at 27 faults: their labels overlapped into an unreadable band. Now each fault is its number,
  // in as many lanes as the labels need, coloured by kind; 50 must stay apart.
  it('keeps the labels of 50 faults apart on every chart', async () => {
    const report = sampleReport();
    const kinds = ['kill', 'stop', 'broker-restart', 'redis-restart', 'zombie'] as const;
    const base = report.faults[0] as RunReport['faults'][number];
    report.faults = Array.from({ length: 50 }, (_, i) => ({
      ...base,
      kind: kinds[i % kinds.length] as (typeof kinds)[number],
      at: 2500 + i * 380,
      elapsedMs: 500 + i * 380,
      detail: `fault ${i + 1}`,
    }));
    const files = writeReport(report, path.join(dir, 'many'));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      await page.goto(`file://${files.html}`);
      await page.screenshot({ path: screenshotPath('report-50-faults.png'), fullPage: true });
      for (const chart of [0, 1, 2]) {
        const labels = page.locator('svg.chart').nth(chart).locator('text.marker');
        assert.equal(await labels.count(), 51, 'input starts, and one per fault');
        const boxes = await labels.evaluateAll((nodes) =>
          nodes.map((n) => {
            const b = (
              n as unknown as { getBBox(): { x: number; y: number; width: number; height: number } }
            ).getBBox();
            return { x: b.x, y: b.y, w: b.width, h: b.height, text: n.textContent };
          }),
        );
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i] as (typeof boxes)[number];
            const b = boxes[j] as (typeof boxes)[number];
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            assert.ok(!overlap, `chart ${chart}: labels '${a.text}' and '${b.text}' overlap`);
          }
      }
    } finally {
      await browser.close();
    }
  });
});
