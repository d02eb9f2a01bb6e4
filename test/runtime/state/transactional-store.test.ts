// The task's store on its real disk (LMDB in a temporary directory). A forgotten key (a closed window) is deleted from the store at once, but its tombstone is owed to
// the changelog: written when due if the key is still deleted, never if the key was written again
// first, at once when too many are owed; an aborted transaction keeps what is owed. And a read
// never serves a disk value older than the last commit (the store remembers its last disk read).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  OWED_TOMBSTONES,
  TOMBSTONE_DELAY_MS,
  TransactionalStore,
} from '../../../src/runtime/state/transactional-store.js';

describe('owed tombstones of forgotten keys', () => {
  const dirs: string[] = [];
  const stores: TransactionalStore[] = [];
  after(async () => {
    for (const store of stores) await store.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const open = async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-owed-'));
    dirs.push(dir);
    const store = TransactionalStore.open(dir);
    stores.push(store);
    await store.reset('run');
    return store;
  };
  /** One checkpoint at `now`: its changes, then the commit to disk. */
  const checkpoint = async (store: TransactionalStore, now: number) => {
    const changes = store.takeChanges(now);
    await store.committed(new Map());
    return changes;
  };

  it('writes the tombstone only once it is due, and only if the key is still deleted', async () => {
    const store = await open();
    store.put('a', 1);
    store.put('b', 2);
    assert.deepEqual(await checkpoint(store, 0), [
      ['a', '1'],
      ['b', '2'],
    ]);
    store.forget('a');
    store.forget('b');
    assert.deepEqual(await checkpoint(store, 1), [], 'no tombstone in the checkpoint that forgot them');
    assert.equal(store.get('a'), undefined, 'forgotten at once');
    assert.equal(store.owedTombstones, 2);
    store.put('b', 3); // b comes back before its tombstone is due: its value replaces the tombstone
    assert.deepEqual(await checkpoint(store, 2), [['b', '3']]);
    assert.deepEqual(await checkpoint(store, TOMBSTONE_DELAY_MS), [], 'not due yet');
    assert.deepEqual(await checkpoint(store, 1 + TOMBSTONE_DELAY_MS), [['a', null]]);
    assert.equal(store.owedTombstones, 0);
    assert.equal(store.get('b'), 3);
  });

  it('a plain delete after a forget writes its tombstone at once', async () => {
    const store = await open();
    store.put('k', 1);
    await checkpoint(store, 0);
    store.forget('k');
    store.delete('k');
    assert.deepEqual(await checkpoint(store, 1), [['k', null]]);
    assert.equal(store.owedTombstones, 0);
  });

  it('keeps what is owed across an abort, and writes it only for keys still deleted', async () => {
    const store = await open();
    store.put('x', 1);
    store.put('y', 1);
    await checkpoint(store, 0);
    store.forget('x');
    await checkpoint(store, 1); // committed: x is deleted on disk, its tombstone owed
    store.forget('y');
    store.takeChanges(2);
    store.abort(); // y's delete never committed: y is back, and must not get a tombstone
    assert.equal(store.get('y'), 1);
    assert.deepEqual(await checkpoint(store, 3 + TOMBSTONE_DELAY_MS), [['x', null]]);
  });

  it('reads what the last commit wrote, not the disk value it read before', async () => {
    const store = await open();
    store.put('k', 1);
    await checkpoint(store, 0);
    assert.equal(store.get('k'), 1, 'read from disk');
    store.put('k', 2);
    await checkpoint(store, 1);
    assert.equal(store.get('k'), 2);
    store.delete('k');
    await checkpoint(store, 2);
    assert.equal(store.get('k'), undefined);
    // A restore hands the changelog's bytes as they are: read back as the same JSON text.
    await store.restore([['k', Buffer.from('{"n":"é"}')]], 'changelog', 10);
    assert.deepEqual(store.get('k'), { n: 'é' }, 'and what a restore wrote');
    assert.equal(store.text('k'), '{"n":"é"}');
  });

  it('writes the oldest owed tombstones at once beyond the limit', async () => {
    const store = await open();
    const n = OWED_TOMBSTONES + 3;
    for (let i = 0; i < n; i++) store.put(`k${i}`, i);
    await checkpoint(store, 0);
    for (let i = 0; i < n; i++) store.forget(`k${i}`);
    const changes = await checkpoint(store, 1);
    assert.deepEqual(changes, [
      ['k0', null],
      ['k1', null],
      ['k2', null],
    ]);
    assert.equal(store.owedTombstones, OWED_TOMBSTONES);
  });
});
