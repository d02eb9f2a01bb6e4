// The terminal form of a stress or reliability report: the checks, the figures, the faults.

import { figures } from '../reports/report-html.js';
import type { RunReport } from '../reports/run-report.js';
import { renderTable } from './table.js';

export function renderRunReport(report: RunReport, files: { html: string; json: string }): string {
  const lines: string[] = [
    '',
    `${report.command.toUpperCase()} ${report.verdict === 'PASS' ? '✔ PASS' : '✘ FAIL'} (run ${report.result.runId})`,
  ];
  lines.push(
    renderTable(
      ['CHECK', '', 'DETAIL'],
      report.checks.map((c) => [c.name, c.ok ? '✔' : '✘', c.detail]),
    ),
  );
  lines.push('');
  lines.push(renderTable(['FIGURE', 'VALUE'], figures(report)));
  if (report.faults.length > 0) {
    lines.push('');
    lines.push(
      renderTable(
        ['#', 'AT', 'FAULT', 'PARTITIONS', 'TAKEN OVER BY', 'TAKEOVER'],
        report.faults.map((f, i) => [
          String(i + 1),
          `t+${(f.elapsedMs / 1000).toFixed(1)}s`,
          f.detail,
          f.affected.join(',') || '-',
          [...new Set(f.partitions.map((p) => p.by ?? '?'))].join(',') || '-',
          f.takeoverMs === undefined ? 'not seen' : `${f.takeoverMs} ms`,
        ]),
      ),
    );
  }
  lines.push('', `report: ${files.html}`, `        ${files.json}`);
  return `${lines.join('\n')}\n`;
}
