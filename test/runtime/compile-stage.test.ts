import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, string } from '../../src/api/deserializers.js';
import { defineJob } from '../../src/api/job-definition.js';
import type { SourceRecord } from '../../src/api/records.js';
import { defineSink } from '../../src/api/sinks.js';
import { buildPlan } from '../../src/plan/job-plan.js';
import { compileStage, StageOutputs } from '../../src/runtime/compile-stage.js';

const record = (value: string, offset = 0, extra: Partial<SourceRecord> = {}): SourceRecord => ({
  topic: 'in',
  partition: 2,
  offset,
  key: 'k1',
  value: Buffer.from(value),
  timestamp: 1234,
  headers: [{ trace: Buffer.from('abc') }],
  ...extra,
});

const seen: unknown[] = [];
const job = defineJob({
  name: 'branches',
  build(j) {
    const words = j.fromKafka('in', string()).flatMap((line) => line.split(' '));
    words.map((w) => w.length).sinkTo(defineSink<number>({ name: 'lengths', write() {} }));
    words
      .process<string>((w, ctx) => {
        seen.push([ctx.key, ctx.timestamp, ctx.partition, ctx.offset, ctx.header('trace')]);
        if (w === 'reject') ctx.deadLetter(`no ${w}`);
        if (w === 'boom') throw new Error('boom');
        ctx.emit(w.toUpperCase());
        ctx.emit(`${w}!`);
      })
      .filter((w) => !w.startsWith('SKIP'))
      .sinkTo(defineSink<string>({ name: 'shouts', write() {} }));
  },
});

function run(values: string[]): { out: StageOutputs; errors: string[] } {
  const plan = buildPlan(job, {});
  const stage = compileStage(plan, plan.stages[0] as NonNullable<(typeof plan.stages)[0]>);
  const out = new StageOutputs(stage.sinkCount);
  const errors: string[] = [];
  values.forEach((v, i) => {
    out.begin();
    try {
      stage.run(record(v, i), out);
    } catch (error) {
      out.rollback();
      errors.push(`${(error as Error).name}: ${(error as Error).message}`);
    }
  });
  return { out, errors };
}

describe('compiled stage', () => {
  it('runs each operator in order, on every branch, with the record context', () => {
    seen.length = 0;
    const { out } = run(['a bb skip']);
    assert.deepEqual(out.values[0], [1, 2, 4]);
    assert.deepEqual(out.values[1], ['A', 'a!', 'BB', 'bb!', 'skip!']);
    assert.deepEqual(seen[0], ['k1', 1234, 2, 0, 'abc']);
    assert.ok(
      out.sources[1]?.every((s) => s.offset === 0),
      'each result knows its source record',
    );
  });

  it('rolls a record back on every branch when its processing throws or it is rejected', () => {
    const { out, errors } = run(['ok', 'x boom', 'y reject', 'fine']);
    assert.deepEqual(out.values[0], [2, 4]);
    assert.deepEqual(out.values[1], ['OK', 'ok!', 'FINE', 'fine!']);
    assert.deepEqual(errors, ['Error: boom', 'RecordRejected: no reject']);
  });

  it('lets a deserializer refuse a record with a schema error', async () => {
    const { z } = await import('zod');
    const strict = defineJob({
      name: 'strict',
      build(j) {
        j.fromKafka('in', json(z.object({ n: z.number() }))).sinkTo(
          defineSink<{ n: number }>({ name: 's', write() {} }),
        );
      },
    });
    const plan = buildPlan(strict, {});
    const stage = compileStage(plan, plan.stages[0] as NonNullable<(typeof plan.stages)[0]>);
    const out = new StageOutputs(1);
    stage.run(record('{"n":1}'), out);
    assert.throws(() => stage.run(record('{"n":"x"}'), out), { name: 'ZodError' });
    assert.throws(() => stage.run(record('nope'), out), SyntaxError);
    assert.deepEqual(out.values[0], [{ n: 1 }]);
  });
});
