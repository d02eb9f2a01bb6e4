import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencyHistogram } from '../../src/metrics/latency-histogram.js';
import type { FaultRecord } from '../../src/runs/fault-injector.js';
import {
  growthAfter,
  latencyP99PerTaskManager,
  measureTakeovers,
  memoryPerTaskManager,
  ownershipSegments,
  throughputPerTaskManager,
} from '../../src/runs/run-analysis.js';
import type { RunSample } from '../../src/runs/run-recorder.js';

const fault = (kind: FaultRecord['kind'], at: number, target?: string, affected = [1]): FaultRecord => ({
  kind,
  plannedAt: at,
  at,
  elapsedMs: at,
  affected,
  detail: kind,
  durationMs: 0,
  ...(target ? { target } : {}),
});

describe('measureTakeovers', () => {
  it('takes the first resume after a kill, even by the restarted process of the same id', () => {
    const [t] = measureTakeovers(
      [fault('kill', 10_000, 'TM-01')],
      [
        { at: 9000, taskManagerId: 'TM-01', task: 1 },
        { at: 13_130, taskManagerId: 'TM-01', task: 1 },
      ],
      [],
      [],
    );
    assert.deepEqual(t?.partitions, [{ partition: 1, ms: 3130, by: 'TM-01' }]);
    assert.equal(t?.takeoverMs, 3130);
  });

  it("does not count a zombie's own resume while it was frozen as a takeover", () => {
    const [t] = measureTakeovers(
      [{ ...fault('zombie', 10_000, 'TM-02'), durationMs: 3000 }],
      [
        { at: 12_000, taskManagerId: 'TM-02', task: 1 },
        { at: 14_000, taskManagerId: 'TM-03', task: 1 },
      ],
      [],
      [],
    );
    assert.equal(t?.takeoverMs, 4000);
    assert.equal(t?.partitions[0]?.by, 'TM-03');
  });

  // Seen in a windowed reliability run: the broker gave the woken zombie its partition back (a new
  // task of its) before anyone else applied a batch of it.
  it('counts a woken zombie that got its partition back', () => {
    const [t] = measureTakeovers(
      [{ ...fault('zombie', 10_000, 'TM-02'), durationMs: 3000 }],
      [{ at: 13_500, taskManagerId: 'TM-02', task: 1 }],
      [],
      [],
    );
    assert.deepEqual(t?.partitions, [{ partition: 1, ms: 3500, by: 'TM-02' }]);
  });

  it("keeps a zombie's loss notice even when it comes after the next fault started", () => {
    const zombie = { ...fault('zombie', 10_000, 'TM-02'), durationMs: 3500 };
    const [t] = measureTakeovers(
      [zombie, fault('kill', 14_000, 'TM-03')],
      [{ at: 13_800, taskManagerId: 'TM-04', task: 1 }],
      [{ at: 14_200, taskManagerId: 'TM-02', kind: 'lost', tasks: [1] }],
      [],
    );
    assert.deepEqual(t?.handovers, [{ taskManagerId: 'TM-02', kind: 'lost', partitions: [1] }]);
  });

  it('measures a broker restart from the positions moving again, and reports a partition never seen', () => {
    const sample = (at: number, p0: number, p1: number): RunSample => ({
      at,
      count: 0,
      positions: { 0: p0, 1: p1 },
      taskManagers: [
        {
          id: 'TM-01',
          status: 'ACTIVE',
          partitions: [0, 1],
          consumed: 0,
          rssBytes: 0,
          pid: 1,
          openFds: undefined,
          heartbeatAt: at,
        },
      ],
    });
    const [t] = measureTakeovers(
      [fault('broker-restart', 1000, undefined, [0, 1])],
      [],
      [],
      [sample(500, 10, 10), sample(2000, 10, 10), sample(6000, 20, 10)],
    );
    assert.deepEqual(
      t?.partitions.map((p) => [p.partition, p.ms]),
      [
        [0, 5000],
        [1, undefined],
      ],
    );
    assert.equal(t?.takeoverMs, undefined, 'not every partition progressed again');
  });
});

describe('ownershipSegments', () => {
  it('turns assignments and hand-overs into who-owned-what-when', () => {
    const segments = ownershipSegments(
      [
        { at: 0, taskManagerId: 'TM-01', kind: 'assigned', tasks: [0, 1] },
        { at: 100, taskManagerId: 'TM-01', kind: 'revoked', tasks: [1] },
        { at: 150, taskManagerId: 'TM-02', kind: 'assigned', tasks: [1] },
        // TM-01 killed: no revoke; the next assignment ends its ownership.
        { at: 400, taskManagerId: 'TM-03', kind: 'assigned', tasks: [0] },
      ],
      0,
      1000,
    );
    assert.deepEqual(
      segments.map((s) => [s.partition, s.taskManagerId, s.from, s.to]).sort(),
      [
        [0, 'TM-01', 0, 400],
        [0, 'TM-03', 400, 1000],
        [1, 'TM-01', 0, 100],
        [1, 'TM-02', 150, 1000],
      ].sort(),
    );
  });
});

describe('throughputPerTaskManager', () => {
  it('computes rates between heartbeats, restarting from zero after a process restart', () => {
    const s = (at: number, consumed: number, heartbeatAt: number): RunSample => ({
      at,
      count: 0,
      positions: {},
      taskManagers: [
        {
          id: 'TM-01',
          status: 'ACTIVE',
          partitions: [0],
          consumed,
          rssBytes: 0,
          pid: 1,
          openFds: undefined,
          heartbeatAt,
        },
      ],
    });
    const [series] = throughputPerTaskManager([
      s(0, 0, 0),
      s(500, 0, 0),
      s(1000, 1000, 1000),
      s(2000, 300, 2000),
    ]);
    assert.deepEqual(
      series?.points.map((p) => p.value),
      [1000, 300],
    );
  });
});

describe('memoryPerTaskManager', () => {
  it('takes each heartbeat once, in MiB, one line per TaskManager', () => {
    const s = (at: number, id: string, mib: number, heartbeatAt: number | undefined): RunSample => ({
      at,
      count: 0,
      positions: {},
      taskManagers: [
        {
          id,
          status: 'ACTIVE',
          partitions: [0],
          consumed: 0,
          rssBytes: mib * 2 ** 20,
          pid: 1,
          openFds: undefined,
          heartbeatAt,
        },
      ],
    });
    const series = memoryPerTaskManager([
      s(0, 'TM-02', 50, undefined),
      s(500, 'TM-02', 60, 400),
      s(900, 'TM-02', 60, 400),
      s(1500, 'TM-02', 64, 1400),
      s(1500, 'TM-01', 70, 1450),
    ]);
    assert.deepEqual(
      series.map((x) => [x.name, x.points.map((p) => [p.at, p.value])]),
      [
        ['TM-01', [[1450, 70]]],
        [
          'TM-02',
          [
            [400, 60],
            [1400, 64],
          ],
        ],
      ],
    );
  });
});

describe('latencyP99PerTaskManager', () => {
  it("takes each window's p99 from two cumulative histograms of the same process", () => {
    const h = new LatencyHistogram();
    const s = (at: number, pid: number, latency: Record<string, number>): RunSample => ({
      at,
      count: 0,
      positions: {},
      taskManagers: [
        {
          id: 'TM-01',
          status: 'ACTIVE',
          partitions: [0],
          consumed: 0,
          rssBytes: 0,
          pid,
          openFds: 3,
          latency,
          heartbeatAt: at,
        },
      ],
    });
    const empty = h.toBuckets();
    h.record(10, 100);
    const fast = h.toBuckets();
    h.record(200, 100);
    const slow = h.toBuckets();
    const [series] = latencyP99PerTaskManager([
      s(0, 1, empty),
      s(10_000, 1, fast),
      s(20_000, 1, slow),
      s(30_000, 2, slow),
    ]);
    const values = series?.points.map((p) => Math.round(p.value));
    // Within the histogram's 5 % buckets: 10 ms, then 200 ms; the restarted process (pid 2) starts over.
    assert.equal(values?.length, 2);
    const [first = 0, second = 0] = values ?? [];
    assert.ok(first >= 10 && first <= 11, String(values));
    assert.ok(second >= 200 && second <= 210, String(values));
  });
});

describe('growthAfter', () => {
  it('compares the first and last minute of each process that lived through, leaving restarted ones out', () => {
    const samples: RunSample[] = [];
    for (let t = 0; t <= 600_000; t += 30_000) {
      const tms = [
        { id: 'TM-01', pid: 1, rss: 100 + t / 6000 },
        // TM-02 was restarted at 5 minutes: its new process was not there when the window opened.
        t < 300_000 ? { id: 'TM-02', pid: 2, rss: 50 } : { id: 'TM-02', pid: 3, rss: 500 },
        // TM-03 was IDLE, and took a partition at 5 minutes: a role change, not growth.
        { id: 'TM-03', pid: 4, rss: t < 300_000 ? 80 : 200, partitions: t < 300_000 ? [] : [1] },
        // TM-05 was IDLE, ACTIVE in between, IDLE again: it keeps the heap it grew (not a leak).
        {
          id: 'TM-05',
          pid: 6,
          rss: t < 200_000 ? 80 : 130,
          partitions: t >= 200_000 && t < 400_000 ? [3] : [],
        },
        // TM-04, IDLE, took a partition and then hung on its way out: DISCONNECTED, no partitions in
        // the registry, its last heartbeat's memory — not an IDLE process grown.
        t < 200_000
          ? { id: 'TM-04', pid: 5, rss: 80 }
          : t < 300_000
            ? { id: 'TM-04', pid: 5, rss: 190, partitions: [2] }
            : { id: 'TM-04', pid: 5, rss: 190, status: 'DISCONNECTED' as const },
      ];
      samples.push({
        at: t,
        count: 0,
        positions: {},
        taskManagers: tms.map((x) => ({
          id: x.id,
          status: 'status' in x ? x.status : ('ACTIVE' as const),
          partitions: 'partitions' in x ? (x.partitions ?? []) : [],
          consumed: 0,
          rssBytes: x.rss,
          pid: x.pid,
          openFds: undefined,
          heartbeatAt: t,
        })),
      });
    }
    assert.deepEqual(
      growthAfter(samples, 0, (tm) => tm.rssBytes),
      [{ id: 'TM-01', pid: 1, first: 105, last: 195 }],
    );
  });
});
