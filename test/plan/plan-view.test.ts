import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { json, string } from '../../src/api/deserializers.js';
import { defineJob } from '../../src/api/job-definition.js';
import { kafkaSink } from '../../src/api/sinks.js';
import { mapState, valueState } from '../../src/api/state.js';
import { session, tumbling } from '../../src/api/windows.js';
import { planJob } from '../../src/plan/job-plan.js';
import { planStages } from '../../src/plan/plan-view.js';

const View = z.object({ user: z.string(), page: z.string() });

describe('the plan as the dashboard draws it', () => {
  it('cuts at each repartitioning keyBy: what each stage reads, runs (with changelogs) and writes', () => {
    const job = defineJob({
      name: 'views',
      build(j) {
        const src = j
          .fromKafka('page-views', json(View))
          .filter((v) => v.page !== '')
          .map((v) => v);
        src.sinkTo(kafkaSink({ topic: 'copy' }));
        src
          .keyBy((v) => v.user)
          .window(tumbling(10_000), { graceMs: 1000 })
          .count()
          .map((w) => w.value)
          .sinkTo(kafkaSink({ topic: 'per-user' }));
        src
          .keyBy((v) => v.page)
          .process({
            name: 'pages',
            state: { seen: valueState<boolean>(), n: mapState<number>() },
            onRecord() {},
          })
          .sinkTo(kafkaSink({ topic: 'new-pages' }));
      },
    });
    const stages = planStages(planJob(job, {}));
    const strip = (steps: readonly { kind: string; label: string; changelog?: string | undefined }[]) =>
      steps.map((s) => [s.kind, s.label, s.changelog ?? null]);
    assert.equal(stages.length, 3);
    assert.deepEqual(stages[0]?.reads, [{ topic: 'page-views', kind: 'source' }]);
    assert.deepEqual(strip(stages[0]?.steps ?? []), [
      ['filter', 'filter', null],
      ['map', 'map', null],
      ['keyBy', 'keyBy → stage 1', null],
      ['keyBy', 'keyBy → stage 2', null],
    ]);
    assert.deepEqual(stages[0]?.writes, [
      { name: 'kafka:copy', kind: 'sink' },
      { name: 'views-1-repartition', kind: 'repartition', toStage: 1 },
      { name: 'views-2-repartition', kind: 'repartition', toStage: 2 },
    ]);
    assert.deepEqual(stages[1]?.reads, [{ topic: 'views-1-repartition', kind: 'repartition' }]);
    assert.deepEqual(strip(stages[1]?.steps ?? []), [
      ['keyed', 'tumbling 10s, grace 1s, emit on close', 'views-tumbling-window-changelog'],
      ['map', 'map', null],
    ]);
    assert.deepEqual(stages[1]?.writes, [{ name: 'kafka:per-user', kind: 'sink' }]);
    assert.deepEqual(strip(stages[2]?.steps ?? []), [['keyed', 'process', 'views-pages-changelog']]);
    assert.equal(stages[2]?.steps[0]?.name, 'pages');
  });

  it('keeps a keyBy without repartition in its stage, names window shapes and emit modes, and a late-records sink', () => {
    const job = defineJob({
      name: 'sessions',
      build(j) {
        j.fromKafka('clicks', string())
          .keyBy((v) => v, { repartition: false })
          .window(session(30_500), { emit: 'update', lateTo: kafkaSink({ topic: 'late-clicks' }) })
          .count()
          .sinkTo(kafkaSink({ topic: 'out' }));
      },
    });
    const stages = planStages(planJob(job, {}));
    assert.equal(stages.length, 1);
    assert.deepEqual(
      stages[0]?.steps.map((s) => s.label),
      ['keyBy (no repartition)', 'session gap 30500ms, grace 0s, emit on update'],
    );
    assert.deepEqual(stages[0]?.writes, [
      { name: 'kafka:late-clicks', kind: 'late' },
      { name: 'kafka:out', kind: 'sink' },
    ]);
  });
});
