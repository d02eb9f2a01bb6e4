import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODE_PREFIX, ErrorCodes } from '../../src/errors/error-codes.js';
import { SluiceError } from '../../src/errors/sluice-error.js';
import { projectRoot } from '../helpers/test-env.js';

describe('error codes', () => {
  const doc = readFileSync(path.join(projectRoot, 'docs', 'errors.md'), 'utf8');

  for (const code of Object.keys(ErrorCodes)) {
    it(`${code} is documented in docs/errors.md`, () => {
      assert.ok(
        doc.includes(`\`${ERROR_CODE_PREFIX}${code}\``),
        `docs/errors.md lacks ${ERROR_CODE_PREFIX}${code}`,
      );
    });
  }

  it('documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/`SLUICE_ERR_([A-Z_]+)`/g)].map((m) => m[1]);
    for (const code of documented)
      assert.ok(code && code in ErrorCodes, `docs/errors.md names unknown ${code}`);
  });

  it('carries code, retriable flag, exit code and cause', () => {
    const cause = new Error('refused');
    const error = new SluiceError('KAFKA_NOT_READY', 'no broker', { cause });
    assert.equal(error.code, 'KAFKA_NOT_READY');
    assert.equal(error.qualifiedCode, 'SLUICE_ERR_KAFKA_NOT_READY');
    assert.equal(error.retriable, true);
    assert.equal(error.exitCode, 3);
    assert.equal(error.cause, cause);
    assert.equal(new SluiceError('CONFIG_INVALID', 'x').retriable, false);
  });
});
