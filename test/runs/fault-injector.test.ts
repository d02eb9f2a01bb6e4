import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { injectFaults } from '../../src/runs/fault-injector.js';
import type { RunContext } from '../../src/runs/seed-run.js';

interface FakeTm {
  id: string;
  pid: number;
  status: string;
  /** Slots owned (the registry's view). */
  tasks: number[];
}

/**
 * A cluster whose registry lags behind a kill, as the real one does for a moment: the killed
 * process stays listed ACTIVE, while its partitions already have a new owner.
 */
function laggingCluster(tms: FakeTm[], takeOver: (killed: FakeTm) => void) {
  const kills: string[] = [];
  const ctx = {
    elapsed: () => 10_000,
    cluster: {
      registry: { connected: () => tms, owners: () => new Map() },
      kill: (id: string) => {
        kills.push(id);
        const killed = tms.find((t) => t.id === id);
        if (killed) takeOver(killed);
      },
    },
  };
  return { ctx: ctx as unknown as RunContext, kills };
}

describe('injectFaults', () => {
  it('never hits a process it already killed, even while the registry still lists it ACTIVE', async () => {
    const tms: FakeTm[] = [
      { id: 'TM-01', pid: 1, status: 'ACTIVE', tasks: [0] },
      { id: 'TM-02', pid: 2, status: 'ACTIVE', tasks: [1] },
      { id: 'TM-03', pid: 3, status: 'IDLE', tasks: [] },
    ];
    const { ctx, kills } = laggingCluster(tms, (killed) => {
      const spare = tms.find((t) => t.tasks.length === 0);
      if (spare) spare.tasks = [...killed.tasks];
    });
    const records = await injectFaults(
      ctx,
      [
        { at: 0, kind: 'kill', pick: 0 },
        { at: 0, kind: 'kill', pick: 0 },
      ],
      { partitions: 2, restart: async () => {} },
    );
    assert.deepEqual(kills, ['TM-01', 'TM-02']);
    assert.deepEqual(
      records.map((r) => r.affected),
      [[0], [1]],
    );
  });
});
