// Writes a run's report.json and report.html into reports/<command>-<timestamp>/.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderReportHtml } from './report-html.js';
import type { RunReport } from './run-report.js';

export function writeReport(
  report: RunReport,
  reportsDir: string,
): { dir: string; json: string; html: string } {
  const stamp = report.createdAt.replace(/[-:]/g, '').replace(/\..*/, '');
  const dir = path.join(reportsDir, `${report.command}-${stamp}`);
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'report.json');
  const html = path.join(dir, 'report.html');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderReportHtml(report));
  return { dir, json, html };
}
