import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { string } from '../../src/api/deserializers.js';
import { defineJob } from '../../src/api/job-definition.js';
import { defineSink, kafkaSink } from '../../src/api/sinks.js';
import { describeParameters, parseParameterFlags } from '../../src/plan/job-parameters.js';
import { planJob } from '../../src/plan/job-plan.js';

const sink = defineSink<unknown>({ name: 'out', write() {} });
const params = defineJob({
  name: 'params',
  parameters: z.object({
    input: z.string().default('lines'),
    minLength: z.number().int().min(1).default(1),
    verbose: z.boolean().default(false),
    tags: z.array(z.string()).optional(),
  }),
  build(j, p) {
    j.fromKafka(p.input, string()).sinkTo(sink);
  },
});

describe('job parameters', () => {
  it('reads --param texts through the schema: numbers, booleans and JSON from text, defaults filled in', () => {
    const plan = planJob(params, parseParameterFlags(['minLength=3', 'verbose=yes', 'tags=["a","b"]']));
    assert.deepEqual(plan.parameters, { input: 'lines', minLength: 3, verbose: true, tags: ['a', 'b'] });
    assert.deepEqual(plan.sourceTopics, ['lines']);
  });

  it('names a bad value, what the parameter takes, and every parameter of the job', () => {
    assert.throws(
      () => planJob(params, { minLength: 'abc' }),
      (error: Error & { code?: string; exitCode?: number }) =>
        error.code === 'JOB_PARAMETER_INVALID' &&
        error.exitCode === 2 &&
        /--param minLength=abc/.test(error.message) &&
        /minLength \(number, default 1\)/.test(error.message),
    );
  });

  it('refuses a parameter the job does not have', () => {
    assert.throws(() => planJob(params, { minlength: '3' }), /Job 'params' has no parameter 'minlength'/);
    assert.throws(() => parseParameterFlags(['noequals']), /is not key=value/);
  });

  it('describes a job without parameters', () => {
    const bare = defineJob({ name: 'bare', build: (j) => j.fromKafka('t', string()).sinkTo(sink) });
    assert.equal(describeParameters(bare), 'It takes no parameters.');
  });
});

describe('job plan', () => {
  it('refuses a job whose stream reaches no sink, naming the step', () => {
    const dangling = defineJob({
      name: 'dangling',
      build(j) {
        const s = j.fromKafka('t', string());
        s.sinkTo(sink);
        s.map((x) => x.length);
      },
    });
    assert.throws(() => planJob(dangling, {}), /the stream of map #2 reaches no sink/);
  });

  it('refuses a job that reads nothing, two sinks of one name, and a topic read twice', () => {
    assert.throws(() => planJob(defineJob({ name: 'empty', build() {} }), {}), /it reads nothing/);
    const twice = defineJob({
      name: 'twice',
      build(j) {
        j.fromKafka('t', string()).sinkTo(kafkaSink({ topic: 'o' }));
        j.fromKafka('t', string()).sinkTo(kafkaSink({ topic: 'o' }));
      },
    });
    assert.throws(
      () => planJob(twice, {}),
      (e: Error) => /2 sinks are named 'kafka:o'/.test(e.message) && /read by 2 sources/.test(e.message),
    );
  });

  it("reports a build function's own error as the job's", () => {
    const broken = defineJob({
      name: 'broken',
      build() {
        throw new Error('oops');
      },
    });
    assert.throws(
      () => planJob(broken, {}),
      (e: Error & { code?: string }) => e.code === 'JOB_DEFINITION_INVALID' && /threw: oops/.test(e.message),
    );
  });

  it('refuses a job name that cannot name a consumer group', () => {
    assert.throws(() => defineJob({ name: 'has space', build() {} }), /is not valid/);
  });
});
