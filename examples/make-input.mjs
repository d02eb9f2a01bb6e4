#!/usr/bin/env node
// Sample input for the examples, as JSON lines on standard output (pipe it into `sluice produce`):
//   node examples/make-input.mjs <page-views|clicks|payments|sales> [count] [--seed N]
// The same count and seed give the same records. Event times start at 2026-01-01T00:00:00Z and
// advance ~10 ms per record, a few hundred ms out of order (within the examples' allowed disorder).

const [kind, countText = '20000'] = process.argv
  .slice(2)
  .filter((a, i, all) => a !== '--seed' && all[i - 1] !== '--seed');
const seedAt = process.argv.indexOf('--seed');
const count = Number(countText);
const kinds = ['page-views', 'clicks', 'payments', 'sales'];
if (!kinds.includes(kind) || !(Number.isSafeInteger(count) && count > 0)) {
  process.stderr.write(`usage: node examples/make-input.mjs <${kinds.join('|')}> [count > 0] [--seed N]\n`);
  process.exit(2);
}

// mulberry32: a small seeded generator, so a run can be repeated record for record.
let seed = seedAt > 0 ? Number(process.argv[seedAt + 1]) >>> 0 : 42;
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let x = seed;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

const base = Date.UTC(2026, 0, 1);
const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
const pages = ['/', '/search', '/cart', '/checkout', '/help'];
const actions = ['view', 'click', 'scroll', 'buy'];
const catalog = {
  books: ['novel', 'atlas', 'cookbook', 'poems', 'comic'],
  garden: ['spade', 'hose', 'seeds', 'gloves'],
  kitchen: ['kettle', 'pan', 'knife', 'whisk', 'bowl', 'mug'],
};

const lines = [];
let t = base;
// clicks: five users active at a time, each for 5–25 s; a user comes back only after 40 s without a
// click, so its sessions (30 s gap) stand apart.
const active = [];
const idleSince = new Map(users.map((u) => [u, base - 60_000]));
for (let i = 0; i < count; i++) {
  t += Math.floor(random() * 20);
  const jitter = -Math.floor(random() * 300); // out of order by up to 300 ms
  if (kind === 'page-views') lines.push({ user: pick(users), page: pick(pages), t: t + jitter });
  else if (kind === 'clicks') {
    for (let k = active.length - 1; k >= 0; k--)
      if (active[k].until < t) idleSince.set(active.splice(k, 1)[0].user, t);
    const ready = users.filter((u) => !active.some((a) => a.user === u) && idleSince.get(u) <= t - 40_000);
    while (active.length < 5 && ready.length > 0)
      active.push({
        user: ready.splice(Math.floor(random() * ready.length), 1)[0],
        until: t + 5_000 + Math.floor(random() * 20_000),
      });
    lines.push({ user: pick(active).user, action: pick(actions), t: t + jitter });
  } else if (kind === 'payments') {
    const id = `pay-${i}`;
    const payment = {
      id,
      account: `acct-${Math.floor(random() * 20)}`,
      amount: Math.round(random() * 10_000) / 100,
      t,
    };
    lines.push(payment);
    if (random() < 0.1) lines.push({ ...payment }); // resent by its producer: the same id again
  } else {
    const category = pick(Object.keys(catalog));
    lines.push({ category, product: pick(catalog[category]), quantity: 1 + Math.floor(random() * 3), t });
  }
}
process.stdout.write(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
