// The JobManager dashboard: polls the REST API every second and redraws. Every name it shows goes
// through textContent or SVG text nodes, never innerHTML, so nothing from the cluster is markup.

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = [
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
const WINDOW_MS = 120_000;
const rates = new Map(); // TaskManager id -> [{ at, rate }]
const colorOf = new Map();
let jobId;

function color(id) {
  if (!colorOf.has(id)) colorOf.set(id, COLORS[colorOf.size % COLORS.length]);
  return colorOf.get(id);
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    // The stylesheet colors SVG text; an explicit fill must win over it, so it goes in style.
    if (k === 'fill' && tag === 'text') node.style.fill = String(v);
    else node.setAttribute(k, String(v));
  }
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function fmt(n) {
  if (n === null || n === undefined) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

async function get(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function drawTaskManagers(list, partitions) {
  const grid = document.getElementById('taskmanagers');
  const label = (slot) => {
    const p = partitions.partitions.find((x) => x.partition === slot);
    return p ? taskLabel(partitions, p) : String(slot);
  };
  grid.replaceChildren(
    ...list.map((t) => {
      const card = el('div', {
        class: `tm ${t.state}`,
        'data-tm': t.id,
        'data-state': t.state,
        'data-partitions': t.partitions.join(','),
      });
      card.append(el('span', { class: 'state' }, t.state), el('div', { class: 'id' }, t.id));
      card.append(
        el('div', { class: 'host', 'data-host': t.host }, t.address ? `${t.host} · ${t.address}` : t.host),
      );
      card.append(
        el(
          'div',
          {},
          t.partitions.length ? `partitions ${t.partitions.map(label).join(', ')}` : 'no partitions',
        ),
      );
      card.append(el('div', {}, `${fmt(t.rate)} rec/s · ${fmt(t.messagesConsumed)} total`));
      // Records its tasks could not process went to the dead-letter topic: the error rate, in red.
      if (t.deadLettered > 0)
        card.append(
          el(
            'div',
            { class: 'errors', 'data-dead-letters': String(t.deadLettered) },
            `${fmt(t.deadLetterRate)} dead letters/s · ${fmt(t.deadLettered)} in all`,
          ),
        );
      card.append(
        el(
          'div',
          { class: 'muted' },
          `pid ${t.pid} · ${fmt(t.rssBytes / 1048576)} MiB · hb ${t.timeSinceLastHeartbeat === null ? '–' : `${(t.timeSinceLastHeartbeat / 1000).toFixed(1)}s`}`,
        ),
      );
      return card;
    }),
  );
  const count = (s) => list.filter((t) => t.state === s).length;
  const hosts = new Set(list.filter((t) => t.state === 'ACTIVE' || t.state === 'IDLE').map((t) => t.host));
  document.getElementById('counts').textContent =
    `${count('ACTIVE')} ACTIVE · ${count('IDLE')} IDLE · ${count('LOST')} LOST · ${count('STOPPED')} STOPPED` +
    // Only while some are away (a JobManager restart, a network cut): they usually come back.
    (count('DISCONNECTED') ? ` · ${count('DISCONNECTED')} DISCONNECTED` : '') +
    ` · ${hosts.size} host${hosts.size === 1 ? '' : 's'}`;
}

/** A task's name: its partition number, or topic-partition when the job reads several topics. */
function taskLabel(data, p) {
  return data.topic.includes(',') ? `${p.topic}-${p.topicPartition}` : String(p.partition);
}

/** Event time as the clock reads it (UTC), with the date when it is not today's. */
function fmtTime(ms) {
  if (ms === null || ms === undefined) return '–';
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 10) === new Date().toISOString().slice(0, 10)
    ? iso.slice(11, 23)
    : iso.slice(0, 19).replace('T', ' ');
}

/** A stateful task's state: its entries, or how far its restore got while it restores. */
function fmtState(p) {
  if (p.restore && !p.restore.done) return `restoring: ${fmt(p.restore.records)} read`;
  return p.stateEntries === null ? '–' : fmt(p.stateEntries);
}

/** The last restore, for the state cell's tooltip. */
function restoreTitle(p) {
  if (!p.restore) return '';
  const took = `${fmt(p.restore.records)} changelog records in ${(p.restore.ms / 1000).toFixed(1)} s`;
  return p.restore.done ? `restored ${took}` : `restoring: ${took} so far`;
}

/** "⛔ partition 2 (TM-03): writing to sink 'redis' failing for 12 s: OOM … - retrying". */
function blockedText(data, p) {
  const b = p.blocked;
  return `⛔ partition ${taskLabel(data, p)} (${p.owner ?? '–'}): ${b.what} failing for ${Math.round(b.ms / 1000)} s, ${fmt(b.attempts)} attempts: ${b.error} - retrying, records wait`;
}

function drawPartitions(data) {
  const table = document.getElementById('partitions');
  // Watermark, state and late columns only for jobs with event time or state.
  table.classList.toggle(
    'with-time',
    data.partitions.some((p) => p.watermark !== null || p.stateEntries !== null),
  );
  const body = table.querySelector('tbody');
  body.replaceChildren(
    ...data.partitions.map((p) => {
      const row = el('tr', {
        'data-partition': p.partition,
        'data-owner': p.owner ?? '',
        ...(p.blocked ? { class: 'blocked', title: blockedText(data, p) } : {}),
      });
      for (const v of [
        taskLabel(data, p),
        p.owner ?? '–',
        fmt(p.position),
        fmt(p.committedOffset),
        fmt(p.endOffset),
        fmt(p.lag),
        fmt(p.lastCheckpointedPosition),
      ]) {
        row.append(el('td', {}, v));
      }
      row.append(
        el('td', { class: 'timed' }, fmtTime(p.watermark)),
        el('td', { class: 'timed', title: restoreTitle(p) }, fmtState(p)),
        el('td', { class: 'timed' }, fmt(p.late)),
      );
      return row;
    }),
  );
  // Tasks that cannot move on: one line each, in red, with the error their call keeps getting.
  const blocked = data.partitions.filter((p) => p.blocked);
  const banner = document.getElementById('blocked');
  banner.hidden = blocked.length === 0;
  banner.replaceChildren(...blocked.map((p) => el('div', {}, blockedText(data, p))));
  const svg = document.getElementById('lag');
  const max = Math.max(1, ...data.partitions.map((p) => p.lag ?? 0));
  const names = data.partitions.map((p) =>
    data.topic.includes(',') ? taskLabel(data, p) : `p${p.partition}`,
  );
  // Room for the longest name (topic-partition names with several source topics).
  const left = 8 + 7 * Math.max(...names.map((n) => n.length), 2);
  // The bars share what is left of the width, keeping room for the figure after the longest.
  const room = Math.max(60, 420 - left - 50);
  const bars = data.partitions.map((p, i) => {
    const w = ((p.lag ?? 0) / max) * room;
    const y = 10 + i * 28;
    return [
      svgEl('text', { x: 0, y: y + 14 }, names[i]),
      svgEl('rect', {
        x: left,
        y,
        width: Math.max(1, w),
        height: 18,
        rx: 3,
        fill: COLORS[i % COLORS.length],
      }),
      svgEl('text', { x: left + 6 + w, y: y + 14 }, fmt(p.lag ?? 0)),
    ];
  });
  svg.replaceChildren(...bars.flat());
  // One row per task: a job with more tasks than the default height shows them all.
  svg.setAttribute('viewBox', `0 0 420 ${Math.max(160, 16 + data.partitions.length * 28)}`);
}

function drawThroughput(list, now) {
  for (const t of list) {
    const series = rates.get(t.id) ?? [];
    series.push({ at: now, rate: t.rate });
    while (series.length && series[0].at < now - WINDOW_MS) series.shift();
    rates.set(t.id, series);
  }
  const svg = document.getElementById('throughput');
  const active = [...rates.entries()].filter(([, s]) => s.some((p) => p.rate > 0));
  const max = Math.max(1, ...active.flatMap(([, s]) => s.map((p) => p.rate)));
  const x = (at) => 40 + ((at - (now - WINDOW_MS)) / WINDOW_MS) * 850;
  const y = (rate) => 185 - (rate / max) * 170;
  const nodes = [
    svgEl('text', { x: 0, y: 20 }, fmt(max)),
    svgEl('text', { x: 0, y: 185 }, '0'),
    svgEl('line', { x1: 40, y1: 185, x2: 890, y2: 185, stroke: '#9ca3af' }),
  ];
  active.forEach(([id, s], i) => {
    nodes.push(
      svgEl('polyline', {
        fill: 'none',
        stroke: color(id),
        'stroke-width': 1.6,
        points: s.map((p) => `${x(p.at).toFixed(1)},${y(p.rate).toFixed(1)}`).join(' '),
      }),
    );
    // The latest rate as a dot: a page opened a moment ago has one sample, and a line needs two.
    const last = s[s.length - 1];
    nodes.push(svgEl('circle', { cx: x(last.at), cy: y(last.rate), r: 3, fill: color(id) }));
    nodes.push(svgEl('text', { x: 60 + i * 60, y: 12, fill: color(id) }, `■ ${id}`));
  });
  svg.replaceChildren(...nodes);
}

function drawOwnership(data, now) {
  const svg = document.getElementById('ownership');
  const start = now - WINDOW_MS;
  const x = (at) => 60 + ((Math.max(at, start) - start) / WINDOW_MS) * 830;
  const nodes = [];
  data.partitions.forEach((p, row) => {
    const y = 8 + row * 32;
    nodes.push(svgEl('text', { x: 0, y: y + 15 }, `partition ${taskLabel(data, p)}`));
    let owner;
    let from = start;
    const segments = [];
    for (const move of p.history) {
      if (move.kind === 'assigned') {
        if (owner) segments.push({ owner, from, to: move.at });
        owner = move.taskmanager;
        from = move.at;
      } else if (move.taskmanager === owner) {
        segments.push({ owner, from, to: move.at });
        owner = undefined;
      }
    }
    if (owner && p.owner === owner) segments.push({ owner, from, to: now });
    for (const s of segments.filter((s) => s.to > start)) {
      const rect = svgEl('rect', {
        x: x(s.from),
        y,
        width: Math.max(2, x(s.to) - x(s.from)),
        height: 22,
        rx: 3,
        fill: color(s.owner),
        opacity: 0.85,
      });
      rect.append(svgEl('title', {}, `${s.owner}: partition ${taskLabel(data, p)}`));
      nodes.push(rect);
      if (x(s.to) - x(s.from) > 40)
        nodes.push(svgEl('text', { x: x(s.from) + 4, y: y + 15, fill: '#fff' }, s.owner));
    }
  });
  svg.setAttribute('viewBox', `0 0 900 ${Math.max(40, 8 + data.partitions.length * 32)}`);
  svg.replaceChildren(...nodes);
}

function drawCheckpoints(data) {
  document.getElementById('checkpoint-counts').textContent =
    `${data.counts.completed} completed · ${data.counts.failed} failed · ${data.counts.in_progress} in progress` +
    (data.latest.failed ? ` · last failure: ${data.latest.failed.failure_message}` : '');
  const svg = document.getElementById('checkpoints');
  const items = [...data.history].reverse().slice(-60);
  const max = Math.max(1, ...items.map((c) => c.end_to_end_duration));
  const nodes = items.map((c, i) => {
    const h = Math.max(2, (c.end_to_end_duration / max) * 80);
    const rect = svgEl('rect', {
      x: 10 + i * 14.5,
      y: 90 - h,
      width: 11,
      height: h,
      fill: c.status === 'COMPLETED' ? '#16a34a' : '#dc2626',
    });
    rect.append(
      svgEl(
        'title',
        {},
        `#${c.id} ${c.status} ${c.end_to_end_duration} ms${c.failure_message ? ` — ${c.failure_message}` : ''}`,
      ),
    );
    return rect;
  });
  nodes.push(svgEl('text', { x: 10, y: 104 }, `max ${max} ms`));
  svg.replaceChildren(...nodes);
}

/** Shortened to `chars` characters, the whole text in its tooltip (topic and step names can be long). */
function fitText(x, y, text, chars, attrs = {}) {
  const shown = text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
  const node = svgEl('text', { x, y, ...attrs }, shown);
  node.append(svgEl('title', {}, text));
  return node;
}

/** One stage as a box: what it reads, its steps (keyed ones with their changelog), its sinks. */
function stageBox(stage, width) {
  const g = svgEl('g', { class: 'plan-stage', 'data-stage': stage.id });
  const chars = Math.floor((width - 20) / 5.6);
  const body = [
    fitText(8, 16, `Stage ${stage.id} · ${stage.tasks} task${stage.tasks === 1 ? '' : 's'}`, chars, {
      class: 'plan-head',
    }),
  ];
  let y = 24;
  for (const r of stage.reads) {
    body.push(
      fitText(8, y + 11, `reads ${r.topic}${r.kind === 'repartition' ? ' (repartition)' : ''}`, chars),
    );
    y += 16;
  }
  for (const step of stage.steps) {
    const h = step.changelog ? 32 : 20;
    body.push(
      svgEl('rect', { x: 8, y, width: width - 16, height: h, rx: 4, class: `plan-step ${step.kind}` }),
    );
    body.push(fitText(14, y + 14, step.name ? `${step.name}: ${step.label}` : step.label, chars - 2));
    if (step.changelog)
      body.push(fitText(14, y + 27, `changelog ${step.changelog}`, chars - 2, { class: 'plan-topic' }));
    y += h + 5;
  }
  for (const w of stage.writes.filter((x) => x.kind !== 'repartition')) {
    body.push(fitText(8, y + 11, `${w.kind === 'late' ? 'late records to' : 'writes'} ${w.name}`, chars));
    y += 16;
  }
  const height = y + 6;
  g.append(svgEl('rect', { x: 0, y: 0, width, height, rx: 6, class: 'plan-frame' }), ...body);
  return { g, height };
}

/**
 * The job's plan, Flink's job graph cut where Sluice cuts tasks: a column per depth of stages,
 * an arrow per repartition topic from the stage that writes it to the stage that reads it.
 */
function drawPlan(detail) {
  const svg = document.getElementById('plan');
  const stages = detail.plan.stages;
  document.getElementById('plan-summary').textContent = stages.length
    ? `${stages.length} stage${stages.length === 1 ? '' : 's'} · ${stages.reduce((n, s) => n + s.tasks, 0)} tasks · ` +
      `${stages.reduce((n, s) => n + s.steps.filter((x) => x.changelog).length, 0)} stateful steps`
    : '';
  const depth = new Map([[0, 0]]);
  for (const stage of stages)
    for (const w of stage.writes)
      if (w.kind === 'repartition') depth.set(w.toStage, (depth.get(stage.id) ?? 0) + 1);
  const gap = 44;
  // As wide as the columns allow (long topic names), never wider than a readable line.
  const columns = 1 + Math.max(0, ...depth.values());
  const width = Math.min(400, Math.max(220, (900 - gap * (columns - 1)) / columns));
  const columnY = [];
  const at = new Map();
  const nodes = [svgEl('defs', {})];
  nodes[0].append(
    (() => {
      const marker = svgEl('marker', {
        id: 'arrow',
        viewBox: '0 0 10 10',
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: 'auto',
      });
      marker.append(svgEl('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#6b7280' }));
      return marker;
    })(),
  );
  for (const stage of stages) {
    const column = depth.get(stage.id) ?? 0;
    const box = stageBox(stage, width);
    const x = 2 + column * (width + gap);
    const y = 2 + (columnY[column] ?? 0);
    columnY[column] = y - 2 + box.height + 12;
    box.g.setAttribute('transform', `translate(${x},${y})`);
    at.set(stage.id, { x, y, height: box.height });
    nodes.push(box.g);
  }
  for (const stage of stages) {
    const from = at.get(stage.id);
    for (const w of stage.writes.filter((x) => x.kind === 'repartition')) {
      const to = at.get(w.toStage);
      if (!from || !to) continue;
      const line = svgEl('line', {
        x1: from.x + width,
        y1: from.y + Math.min(from.height / 2, 40),
        x2: to.x - 2,
        y2: to.y + Math.min(to.height / 2, 40),
        stroke: '#6b7280',
        'stroke-width': 1.5,
        'marker-end': 'url(#arrow)',
      });
      line.append(
        svgEl('title', {}, `${w.name}: keyed records from stage ${stage.id} to stage ${w.toStage}`),
      );
      nodes.push(line);
    }
  }
  svg.setAttribute(
    'viewBox',
    `0 0 ${Math.max(900, columns * (width + gap))} ${Math.max(60, 4 + Math.max(0, ...columnY))}`,
  );
  svg.replaceChildren(...nodes);
}

let planOf; // the job whose plan is drawn: a plan does not change while its job runs

async function refresh() {
  const status = document.getElementById('status');
  try {
    const [overview, tms, partitions, jobs] = await Promise.all([
      get('/overview'),
      get('/taskmanagers'),
      get('/partitions'),
      get('/jobs'),
    ]);
    const now = Date.now();
    jobId = jobs.jobs[0]?.id;
    document.getElementById('job').textContent =
      `${partitions.topic} · group ${partitions.groupId} · job ${jobId ?? '–'} ${jobs.jobs[0]?.status ?? ''} · ` +
      `${overview.taskmanagers} TaskManagers · Kafka ${overview['kafka-version']}`;
    drawTaskManagers(tms.taskmanagers, partitions);
    drawPartitions(partitions);
    drawThroughput(tms.taskmanagers, now);
    drawOwnership(partitions, now);
    if (jobId && planOf !== jobId) {
      drawPlan(await get(`/jobs/${encodeURIComponent(jobId)}`));
      planOf = jobId;
    }
    if (jobId) drawCheckpoints(await get(`/jobs/${encodeURIComponent(jobId)}/checkpoints`));
    status.textContent = `live · ${new Date(now).toLocaleTimeString()}`;
    status.className = 'status';
  } catch (error) {
    status.textContent = `JobManager not reachable (${error.message}); retrying`;
    status.className = 'status down';
  }
}

refresh();
setInterval(refresh, 1000);
