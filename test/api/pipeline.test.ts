import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compile, DROPPED, fromKafka } from '../../src/api/pipeline.js';

const record = (value: unknown) => ({
  topic: 't',
  partition: 0,
  offset: 0,
  key: null,
  value: Buffer.from(JSON.stringify(value)),
  timestamp: 0,
});

describe('pipeline API', () => {
  const graph = fromKafka((r) => JSON.parse(String(r.value)) as { n: number })
    .map((m) => m.n * 2)
    .filter((n) => n > 2)
    .map((n) => `v${n}`)
    .sinkTo('doubles', () => {
      throw new Error('unused');
    });
  const run = compile(graph);

  it('runs deserialize, maps and filters in order', () => {
    assert.equal(run(record({ n: 3 })), 'v6');
    assert.equal(run(record({ n: 1 })), DROPPED);
    assert.equal(graph.name, 'doubles');
    assert.equal(graph.steps.length, 3);
  });

  it("lets the job's own errors through to the task", () => {
    const bad = { ...record({}), value: Buffer.from('not json') };
    assert.throws(() => run(bad), SyntaxError);
  });
});
