// Which TaskManagers the JobManager kills as stuck on their way out: disconnected past the reconnect
// grace and the linger, never one that is connected, reconnected in time, or being stopped.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StuckExits } from '../../src/jobmanager/stuck-exits.js';

const t = (id: string, pid: number, disconnected: boolean, stopping = false) => ({
  id,
  pid,
  disconnected,
  stopping,
});

describe('stuck exits', () => {
  it('kills a process disconnected past grace + linger, once', () => {
    const exits = new StuckExits(5_000, 30_000);
    assert.deepEqual(exits.check([t('TM-01', 11, true), t('TM-02', 12, false)], 0), []);
    assert.deepEqual(exits.check([t('TM-01', 11, true), t('TM-02', 12, false)], 35_000), []);
    assert.deepEqual(exits.check([t('TM-01', 11, true), t('TM-02', 12, false)], 35_001), [
      { id: 'TM-01', pid: 11, ms: 35_001 },
    ]);
  });

  it('starts the clock over for one that reconnected, and never counts one being stopped', () => {
    const exits = new StuckExits(5_000, 30_000);
    exits.check([t('TM-01', 11, true), t('TM-03', 13, true, true)], 0);
    exits.check([t('TM-01', 11, false), t('TM-03', 13, true, true)], 20_000);
    assert.deepEqual(exits.check([t('TM-01', 11, true), t('TM-03', 13, true, true)], 30_000), []);
    assert.deepEqual(exits.check([t('TM-01', 11, true), t('TM-03', 13, true, true)], 60_000), []);
    assert.deepEqual(exits.check([t('TM-01', 11, true), t('TM-03', 13, true, true)], 65_001), [
      { id: 'TM-01', pid: 11, ms: 35_001 },
    ]);
  });

  it('counts a restarted process (same id, new pid) from its own disconnection', () => {
    const exits = new StuckExits(0, 10_000);
    exits.check([t('TM-01', 11, true)], 0);
    assert.deepEqual(exits.check([t('TM-01', 21, true)], 9_000), []);
    assert.deepEqual(exits.check([t('TM-01', 21, true)], 19_001), [{ id: 'TM-01', pid: 21, ms: 10_001 }]);
  });
});
