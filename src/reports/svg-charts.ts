// The report's charts as inline SVG strings, so report.html is one self-contained file that any
// browser opens offline, with no script to fail. Small on purpose: line, timeline (Gantt) and bars.

const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#ca8a04',
  '#db2777',
  '#4b5563',
  '#65a30d',
];

export function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length] ?? '#000';
}

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export interface Marker {
  x: number;
  /** The whole description: the marker's tooltip. */
  label: string;
  /** What is written at the line (default: the label); a fault's number, so 50 stay readable. */
  short?: string;
  color?: string;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const frame = (width: number, height: number, left = 64): Frame => ({
  width,
  height,
  left,
  right: 16,
  top: 16,
  bottom: 40,
});

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((s) => s * magnitude >= value) ?? 10;
  return step * magnitude;
}

function formatNumber(value: number): string {
  if (value >= 1_000_000) return `${(value / 1_000_000).toFixed(value % 1_000_000 === 0 ? 0 : 1)}M`;
  if (value >= 1000) return `${(value / 1000).toFixed(value % 1000 === 0 ? 0 : 1)}k`;
  return String(Math.round(value * 10) / 10);
}

function axes(f: Frame, xMax: number, yMax: number, xLabel: string, yLabel: string): string {
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const y = f.top + plotH - (plotH * i) / 4;
    parts.push(`<line x1="${f.left}" y1="${y}" x2="${f.width - f.right}" y2="${y}" stroke="#e5e7eb"/>`);
    parts.push(
      `<text x="${f.left - 6}" y="${y + 4}" text-anchor="end" class="tick">${formatNumber((yMax * i) / 4)}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const x = f.left + (plotW * i) / 5;
    parts.push(
      `<text x="${x}" y="${f.top + plotH + 16}" text-anchor="middle" class="tick">${formatNumber((xMax * i) / 5)}</text>`,
    );
  }
  parts.push(
    `<line x1="${f.left}" y1="${f.top + plotH}" x2="${f.width - f.right}" y2="${f.top + plotH}" stroke="#9ca3af"/>`,
  );
  parts.push(
    `<text x="${f.left + plotW / 2}" y="${f.height - 4}" text-anchor="middle" class="label">${escapeXml(xLabel)}</text>`,
  );
  parts.push(
    `<text x="14" y="${f.top + plotH / 2}" text-anchor="middle" class="label" transform="rotate(-90 14 ${f.top + plotH / 2})">${escapeXml(yLabel)}</text>`,
  );
  return parts.join('');
}

const MARKER_LANE_H = 12;
/** About the width of a 10 px label's character: enough to keep two labels of one lane apart. */
const MARKER_CHAR_W = 6.2;

/**
 * Where each marker's label goes: in a band above the plot, in the first lane where it does not
 * overlap the label before it (greedy, left to right). Returns each marker's lane and the band's height.
 */
function markerLanes(f: Frame, list: readonly Marker[], xMax: number): { lanes: number[]; height: number } {
  const plotW = f.width - f.left - f.right;
  const ends: number[] = [];
  const order = list.map((m, i) => ({ i, x: f.left + (plotW * Math.min(m.x, xMax)) / xMax }));
  order.sort((a, b) => a.x - b.x);
  const lanes = new Array<number>(list.length).fill(0);
  for (const { i, x } of order) {
    const text = list[i]?.short ?? list[i]?.label ?? '';
    let lane = ends.findIndex((end) => end < x - 1);
    if (lane < 0) lane = ends.push(0) - 1;
    ends[lane] = x + 3 + text.length * MARKER_CHAR_W;
    lanes[i] = lane;
  }
  return { lanes, height: ends.length * MARKER_LANE_H };
}

/** Dashed lines across the plot, their labels in lanes in the band above it (f.top includes the band). */
function markers(
  f: Frame,
  list: readonly Marker[],
  xMax: number,
  band: { lanes: number[]; height: number },
): string {
  const plotW = f.width - f.left - f.right;
  const plotTop = f.top;
  const bandTop = plotTop - band.height;
  return list
    .map((m, i) => {
      const x = f.left + (plotW * Math.min(m.x, xMax)) / xMax;
      const color = m.color ?? '#111827';
      const y = bandTop + ((band.lanes[i] ?? 0) + 1) * MARKER_LANE_H - 2;
      return (
        `<g><title>${escapeXml(m.label)}</title>` +
        `<line x1="${x}" y1="${y + 2}" x2="${x}" y2="${f.height - f.bottom}" stroke="${color}" stroke-dasharray="4 3"/>` +
        `<text x="${x + 3}" y="${y}" class="marker" style="fill:${color}">${escapeXml(m.short ?? m.label)}</text></g>`
      );
    })
    .join('');
}

function svg(f: Frame, body: string, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="${escapeXml(title)}" ` +
    `viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}">${body}</svg>`
  );
}

const LEGEND_ROW_H = 13;
/** About how wide a legend character is at the legend's font size (11 px). */
const LEGEND_CHAR_W = 6.6;

/** Legend entries in rows no wider than `width` (one row at least). */
function wrapLegend<T extends { name: string }>(items: readonly T[], width: number): T[][] {
  const rows: T[][] = [[]];
  let used = 0;
  for (const item of items) {
    const w = (item.name.length + 4) * LEGEND_CHAR_W;
    const row = rows[rows.length - 1] as T[];
    if (row.length > 0 && used + w > width) {
      rows.push([item]);
      used = w;
    } else {
      row.push(item);
      used += w;
    }
  }
  return rows;
}

export interface LineSeries {
  name: string;
  points: readonly { x: number; y: number }[];
}

export function lineChart(options: {
  title: string;
  series: readonly LineSeries[];
  xLabel: string;
  yLabel: string;
  markers?: readonly Marker[];
  width?: number;
  height?: number;
}): string {
  const base = frame(options.width ?? 900, options.height ?? 300);
  const all = options.series.flatMap((s) => s.points);
  const xMax = niceMax(Math.max(1, ...all.map((p) => p.x)));
  const yMax = niceMax(Math.max(1, ...all.map((p) => p.y)));
  // The legend wraps into as many rows as the plot's width needs (20 TaskManagers do not fit one).
  const legendRows = wrapLegend(
    options.series.map((s, i) => ({ name: s.name, i })),
    base.width - base.left - base.right,
  );
  const legendH = (legendRows.length - 1) * LEGEND_ROW_H;
  // The markers' labels get a band of their own above the plot, as many lanes as they need.
  const band = markerLanes(base, options.markers ?? [], xMax);
  const f = {
    ...base,
    top: base.top + legendH + band.height,
    height: base.height + legendH + band.height,
  };
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const lines = options.series
    .map((s, i) => {
      const d = s.points
        .map(
          (p) =>
            `${(f.left + (plotW * p.x) / xMax).toFixed(1)},${(f.top + plotH - (plotH * p.y) / yMax).toFixed(1)}`,
        )
        .join(' ');
      return `<polyline fill="none" stroke="${colorOf(i)}" stroke-width="1.6" points="${d}"><title>${escapeXml(s.name)}</title></polyline>`;
    })
    .join('');
  const legend = legendRows
    .map(
      (row, r) =>
        `<text x="${f.width - f.right}" y="${base.top - 2 + r * LEGEND_ROW_H}" text-anchor="end" class="legend">` +
        row.map(({ name, i }) => `<tspan fill="${colorOf(i)}">■ ${escapeXml(name)}</tspan>`).join('  ') +
        '</text>',
    )
    .join('');
  const body =
    axes(f, xMax, yMax, options.xLabel, options.yLabel) +
    lines +
    markers(f, options.markers ?? [], xMax, band) +
    legend;
  return svg(f, body, options.title);
}

export interface TimelineSegment {
  row: number;
  from: number;
  to: number;
  label: string;
  /** Same key, same color (one color per TaskManager). */
  key: string;
}

export function timelineChart(options: {
  title: string;
  rows: readonly string[];
  segments: readonly TimelineSegment[];
  xMax: number;
  xLabel: string;
  markers?: readonly Marker[];
  width?: number;
}): string {
  const rowH = 26;
  const base = { ...frame(options.width ?? 900, 56 + options.rows.length * rowH, 96), top: 12 };
  const xMax = niceMax(Math.max(1, options.xMax));
  const band = markerLanes(base, options.markers ?? [], xMax);
  const f = { ...base, top: base.top + band.height, height: base.height + band.height };
  const plotW = f.width - f.left - f.right;
  const keys = [...new Set(options.segments.map((s) => s.key))].sort((a, b) =>
    a.localeCompare(b, 'en', { numeric: true }),
  );
  const rows = options.rows
    .map(
      (name, r) =>
        `<text x="${f.left - 8}" y="${f.top + r * rowH + 17}" text-anchor="end" class="label">${escapeXml(name)}</text>`,
    )
    .join('');
  const bars = options.segments
    .map((s) => {
      const x = f.left + (plotW * s.from) / xMax;
      const w = Math.max(1.5, (plotW * (s.to - s.from)) / xMax);
      const y = f.top + s.row * rowH + 4;
      const color = colorOf(keys.indexOf(s.key));
      return (
        `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="3" fill="${color}" opacity="0.85"><title>${escapeXml(s.label)}</title></rect>` +
        (w > 44
          ? `<text x="${(x + 4).toFixed(1)}" y="${y + 13}" class="bar-label">${escapeXml(s.key)}</text>`
          : '')
      );
    })
    .join('');
  const ticks = Array.from({ length: 6 }, (_, i) => {
    const x = f.left + (plotW * i) / 5;
    return `<text x="${x}" y="${f.height - f.bottom + 16}" text-anchor="middle" class="tick">${formatNumber((xMax * i) / 5)}</text>`;
  }).join('');
  const body =
    rows +
    bars +
    ticks +
    `<text x="${f.left + plotW / 2}" y="${f.height - 4}" text-anchor="middle" class="label">${escapeXml(options.xLabel)}</text>` +
    markers(f, options.markers ?? [], xMax, band);
  return svg(f, body, options.title);
}

export function barChart(options: {
  title: string;
  bars: readonly { label: string; value: number; note?: string }[];
  unit: string;
  width?: number;
}): string {
  const barH = 24;
  const f = {
    ...frame(options.width ?? 900, 30 + options.bars.length * (barH + 8), 200),
    bottom: 10,
    top: 10,
  };
  const plotW = f.width - f.left - f.right - 90;
  const max = niceMax(Math.max(1, ...options.bars.map((b) => b.value)));
  const body = options.bars
    .map((b, i) => {
      const y = f.top + i * (barH + 8);
      const w = Math.max(1, (plotW * b.value) / max);
      return (
        `<text x="${f.left - 8}" y="${y + 16}" text-anchor="end" class="label">${escapeXml(b.label)}</text>` +
        `<rect x="${f.left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" rx="3" fill="${colorOf(i)}"/>` +
        `<text x="${(f.left + w + 6).toFixed(1)}" y="${y + 16}" class="value">${escapeXml(`${formatNumber(b.value)} ${options.unit}${b.note ? ` ${b.note}` : ''}`)}</text>`
      );
    })
    .join('');
  return svg(f, body, options.title);
}
