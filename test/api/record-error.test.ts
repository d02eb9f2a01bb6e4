import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { classifyRecordError } from '../../src/api/record-error.js';

describe('classifyRecordError', () => {
  const parse = (text: string) => {
    try {
      z.object({ id: z.number() }).parse(JSON.parse(text));
    } catch (error) {
      return classifyRecordError(error, Buffer.from(text));
    }
    return undefined;
  };

  it('tells unparsable values from schema mismatches, empty values and job errors', () => {
    assert.equal(parse('not json')?.code, 'RECORD_NOT_JSON');
    const mismatch = parse('{"id":"x"}');
    assert.equal(mismatch?.code, 'RECORD_SCHEMA_MISMATCH');
    assert.match(mismatch?.message ?? '', /^id: /);
    assert.equal(classifyRecordError(new Error('x'), null).code, 'RECORD_EMPTY');
    assert.deepEqual(classifyRecordError(new Error('boom'), Buffer.from('1')), {
      code: 'RECORD_PROCESSING_FAILED',
      message: 'boom',
    });
  });
});
