// Renders a RunReport as one self-contained HTML page: verdict, checks, the figures, and charts of
// partition ownership over time (faults marked), throughput per TaskManager, takeover times and
// latency percentiles. No scripts, no external files: it opens anywhere, offline.

import type { Series } from '../runs/run-analysis.js';
import type { RunReport } from './run-report.js';
import { barChart, escapeXml as esc, lineChart, type Marker, timelineChart } from './svg-charts.js';

const seconds = (ms: number) => ms / 1000;

/** One colour per kind of fault, the same in every chart and in the faults table's legend. */
const FAULT_COLORS: Record<string, string> = {
  kill: '#dc2626',
  stop: '#ea580c',
  zombie: '#6b7280',
  'broker-restart': '#7c3aed',
  'redis-restart': '#0891b2',
  'broker-freeze': '#a21caf',
  'redis-freeze': '#0d9488',
  'redis-oom': '#ca8a04',
};

export function renderReportHtml(report: RunReport): string {
  // Each fault is a number at its line (its row in the Faults table), coloured by kind; the whole
  // description is its tooltip. Labels take as many lanes as they need: 50 faults stay readable.
  const markers: Marker[] = [
    { x: seconds(report.inputStartMs), label: 'input starts', short: 'input' },
    ...report.faults.map((f, i) => ({
      x: seconds(f.at),
      label: `${i + 1}: ${f.detail}`,
      short: String(i + 1),
      color: FAULT_COLORS[f.kind] ?? '#111827',
    })),
  ];
  const legend = Object.entries(FAULT_COLORS)
    .filter(([kind]) => report.faults.some((f) => f.kind === kind))
    .map(([kind, color]) => `<span style="color:${color}">■ ${esc(kind)}</span>`)
    .join(' ');
  const durationS = seconds(report.durationMs);
  const charts: string[] = [];

  const partitions = [...new Set(report.ownership.map((s) => s.partition))].sort((a, b) => a - b);
  charts.push(
    section(
      'Partition ownership over time',
      'Which TaskManager owned each partition; dashed lines are faults, numbered as in the Faults table (hover one for what it was).',
      timelineChart({
        title: 'Partition ownership over time',
        rows: partitions.map((p) => `partition ${p}`),
        segments: report.ownership.map((s) => ({
          row: partitions.indexOf(s.partition),
          from: seconds(s.from),
          to: seconds(s.to),
          key: s.taskManagerId,
          label: `partition ${s.partition}: ${s.taskManagerId} from ${seconds(s.from).toFixed(1)}s to ${seconds(s.to).toFixed(1)}s`,
        })),
        xMax: durationS,
        xLabel: 'seconds since the group started',
        markers,
      }),
      legend,
    ),
  );
  charts.push(
    section(
      'Throughput per TaskManager',
      'Records applied per second by each TaskManager that did any work.',
      lineChart({
        title: 'Throughput per TaskManager',
        series: report.throughputPerTaskManager.map((s) => ({
          name: s.name,
          points: s.points.map((p) => ({ x: seconds(p.at), y: p.value })),
        })),
        xLabel: 'seconds since the group started',
        yLabel: 'records/s',
        markers,
      }),
    ),
  );
  charts.push(
    section(
      'Overall throughput',
      'Results counted per second (the Redis counter, or ids seen in the output topic).',
      lineChart({
        title: 'Overall throughput',
        series: [
          {
            name: 'all TaskManagers',
            points: report.throughputOverall.points.map((p) => ({ x: seconds(p.at), y: p.value })),
          },
        ],
        xLabel: 'seconds since the group started',
        yLabel: 'records/s',
        markers,
      }),
    ),
  );
  const perProcess: [string, string, Series[] | undefined, string][] = [
    [
      'Memory per TaskManager',
      'Resident memory (RSS) of each TaskManager process at its heartbeats: a leak is a line that keeps rising.',
      report.memoryPerTaskManager,
      'MiB',
    ],
    [
      'Open file descriptors per TaskManager',
      'Descriptors each TaskManager process holds open (sockets, LMDB files, pipes): a leak keeps rising.',
      report.fdsPerTaskManager,
      'fds',
    ],
    [
      'Latency p99 per TaskManager',
      'End-to-end latency p99 of the records each TaskManager applied, per 10 s window.',
      report.latencyP99PerTaskManager,
      'ms',
    ],
  ];
  for (const [title, caption, series, unit] of perProcess) {
    if (!series || series.length === 0) continue;
    charts.push(
      section(
        title,
        caption,
        lineChart({
          title,
          series: series.map((s) => ({
            name: s.name,
            points: s.points.map((p) => ({ x: seconds(p.at), y: p.value })),
          })),
          xLabel: 'seconds since the group started',
          yLabel: unit,
          markers,
        }),
      ),
    );
  }
  if (report.faults.length > 0) {
    charts.push(
      section(
        'Takeover time per fault',
        'From the fault until every affected partition progressed again (on another TaskManager when one was hit).',
        barChart({
          title: 'Takeover time per fault',
          bars: report.faults.map((f, i) => ({
            label: `${i + 1}: ${f.kind}${f.target ? ` ${f.target}` : ''}`,
            value: f.takeoverMs ?? 0,
            note:
              f.takeoverMs === undefined
                ? '(not seen)'
                : `→ ${[...new Set(f.partitions.map((p) => p.by ?? '?'))].join(', ')}`,
          })),
          unit: 'ms',
        }),
      ),
    );
  }
  const latency = report.result.latency;
  if (latency) {
    charts.push(
      section(
        'End-to-end latency',
        `Input record created → result ${latency.visibleIn === 'kafka' ? 'visible to read_committed readers' : 'visible in Redis'}, ${latency.count} records.`,
        barChart({
          title: 'Latency percentiles',
          bars: [
            { label: 'p50', value: latency.p50 },
            { label: 'p99', value: latency.p99 },
            { label: 'max', value: latency.max },
          ],
          unit: 'ms',
        }),
      ),
    );
  }
  if (report.partitionRecords.length > 0) {
    charts.push(
      section(
        'Records per partition',
        'How evenly the input was spread and processed.',
        barChart({
          title: 'Records per partition',
          bars: report.partitionRecords.map((p) => ({ label: `partition ${p.partition}`, value: p.records })),
          unit: 'records',
        }),
      ),
    );
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Sluice ${esc(report.command)} report — ${esc(report.verdict)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:960px;color:#111827;padding:0 16px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 4px} p.note{color:#4b5563;margin:0 0 8px}
.verdict{display:inline-block;padding:4px 12px;border-radius:6px;font-weight:700;color:#fff}
.PASS{background:#16a34a}.FAIL{background:#dc2626}
table{border-collapse:collapse;width:100%;margin:6px 0} td,th{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600} td.ok{color:#16a34a;font-weight:700} td.bad{color:#dc2626;font-weight:700}
svg.chart{max-width:100%;height:auto;background:#fff;border:1px solid #e5e7eb;border-radius:6px}
svg .tick{font-size:11px;fill:#6b7280} svg .label{font-size:12px;fill:#374151} svg .legend{font-size:11px}
svg .marker{font-size:10px;fill:#111827} svg .bar-label{font-size:10px;fill:#fff} svg .value{font-size:12px;fill:#111827}
code{background:#f3f4f6;padding:1px 4px;border-radius:4px}
</style></head><body>
<h1>Sluice ${esc(report.command)} report <span class="verdict ${report.verdict}">${report.verdict}</span></h1>
<p class="note">Run ${esc(report.result.runId)}, ${esc(report.createdAt)} — ${report.machine.cpus} × ${esc(report.machine.model)}, ${report.machine.memoryGiB} GiB, Node ${esc(report.machine.node)}</p>
<h2>Checks</h2>
<table><tr><th>Check</th><th></th><th>Detail</th></tr>
${report.checks.map((c) => `<tr><td>${esc(c.name)}</td><td class="${c.ok ? 'ok' : 'bad'}">${c.ok ? '✔' : '✘'}</td><td>${esc(c.detail)}</td></tr>`).join('\n')}
</table>
<h2>Figures</h2>
<table>
${figures(report)
  .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
  .join('\n')}
</table>
${charts.join('\n')}
${report.faults.length > 0 ? faultsTable(report) : ''}
<h2>TaskManagers at the end of the run</h2>
<table><tr><th>TaskManager</th><th>PID</th><th>Status</th><th>Partitions</th><th>Records</th><th>RSS</th></tr>
${report.taskManagers.map((t) => `<tr><td>${esc(t.id)}</td><td>${t.pid}</td><td>${esc(t.status)}</td><td>${t.partitions.length ? `[${t.partitions.join(', ')}]` : '-'}</td><td>${t.consumed}</td><td>${t.rssMiB} MiB</td></tr>`).join('\n')}
</table>
<h2>Settings</h2>
<table>${Object.entries(report.settings)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(String(v))}</code></td></tr>`)
    .join('')}</table>
<p class="note">Logs of the TaskManagers: <code>${esc(report.result.logDir)}</code></p>
</body></html>
`;
}

/** A chart with its title and note; `legendHtml` is markup made here (never of run data unescaped). */
function section(title: string, note: string, chart: string, legendHtml = ''): string {
  return `<h2>${esc(title)}</h2><p class="note">${esc(note)}${legendHtml ? ` ${legendHtml}` : ''}</p>${chart}`;
}

export function figures(report: RunReport): [string, string][] {
  const r = report.result;
  const rows: [string, string][] = [
    ['Records', `${r.counter} of ${r.expected}`],
    ['Exactly once', r.ids ?? 'not tracked'],
  ];
  if (r.throughput !== undefined)
    rows.push(['Processing throughput', `${r.throughput.toLocaleString('en-US')} records/s`]);
  if (r.distributionMs !== undefined)
    rows.push(['All partitions assigned after', `${(r.distributionMs / 1000).toFixed(1)} s`]);
  if (r.produceMs !== undefined) rows.push(['Input written in', `${(r.produceMs / 1000).toFixed(1)} s`]);
  if (r.latency)
    rows.push([
      'Latency p50 / p99 / max',
      `${r.latency.p50.toFixed(1)} / ${r.latency.p99.toFixed(1)} / ${r.latency.max.toFixed(1)} ms`,
    ]);
  if (report.takeover) {
    rows.push([
      'Takeover p50 / p99 / max',
      `${report.takeover.p50} / ${report.takeover.p99} / ${report.takeover.max} ms (${report.takeover.count} faults)`,
    ]);
  }
  if (r.checkpoints) {
    const aborted = Object.entries(r.checkpoints.aborted)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    rows.push([
      'Checkpoints',
      `${r.checkpoints.completed} completed${aborted ? `; aborted: ${aborted}` : ''}`,
    ]);
  }
  if (r.restarts.length > 0) rows.push(['Restarted TaskManagers', r.restarts.join(', ')]);
  if (r.deadLettered > 0) rows.push(['Dead letters', String(r.deadLettered)]);
  return rows;
}

function faultsTable(report: RunReport): string {
  return `<h2>Faults</h2>
<table><tr><th>#</th><th>At</th><th>Fault</th><th>Partitions</th><th>Taken over by</th><th>Takeover</th><th>Hand-over lines</th></tr>
${report.faults
  .map(
    (f, i) =>
      `<tr><td>${i + 1}</td><td>t+${(f.elapsedMs / 1000).toFixed(1)}s</td><td>${esc(f.detail)}</td><td>${f.affected.join(', ')}</td>` +
      `<td>${esc([...new Set(f.partitions.map((p) => p.by ?? '?'))].join(', '))}</td><td>${f.takeoverMs === undefined ? 'not seen' : `${f.takeoverMs} ms`}</td>` +
      `<td>${esc(f.handovers.map((h) => `${h.kind === 'revoked' ? '📤' : '📉'} ${h.taskManagerId} ${h.kind} [${h.partitions.join(', ')}]`).join('; ') || '-')}</td></tr>`,
  )
  .join('\n')}
</table>`;
}
