// What a task says when its state disk fails it: LMDB's "Commit failed" carries the real cause in a
// rejected `commitError` promise, which must be read (and so handled: an unhandled rejection would
// end the TaskManager before it said why); the message names the directory, the cause, the space
// left and the setting that fixes it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isStateDiskError, stateDiskError } from '../../../src/runtime/state/state-disk-error.js';

function lmdbCommitFailure(cause: Error): Error {
  const error = new Error('Commit failed (see commitError for details)') as Error & {
    commitError: Promise<never>;
  };
  error.commitError = Promise.reject(cause);
  return error;
}

describe('a state disk error', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-disk-error-'));

  it("names LMDB's real cause, the directory, the space left and the fix", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const cause = Object.assign(new Error('No space left on device: Attempting to write page'), {
        code: 28,
      });
      const error = await stateDiskError(
        'events-3',
        dir,
        'write its committed state',
        lmdbCommitFailure(cause),
      );
      assert.ok(isStateDiskError(error));
      assert.equal(error.qualifiedCode, 'SLUICE_ERR_STATE_STORE_FAILED');
      assert.match(error.message, /^Task events-3 could not write its committed state in /);
      assert.ok(error.message.includes(dir), error.message);
      assert.match(error.message, /No space left on device: Attempting to write page \(28\)/);
      assert.match(error.message, /KiB free of [\d,]+ KiB on that disk/);
      assert.match(error.message, /another one restores them/);
      assert.match(error.message, /SLUICE_STATE_DIR/);
      // A turn later, the rejected commitError has not surfaced as unhandled.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says the error as it is when it is not an LMDB commit failure, and no space when the disk cannot be asked', async () => {
    const error = await stateDiskError(
      't-0',
      '/no/such/dir',
      'open its state store',
      new Error('EACCES: permission denied'),
    );
    assert.match(
      error.message,
      /could not open its state store in \/no\/such\/dir: EACCES: permission denied\. /,
    );
    assert.doesNotMatch(error.message, /free of/);
  });
});
