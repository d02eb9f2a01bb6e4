// Faults of the services short of a restart, in one run of the seed's job, one after the other:
// Redis out of memory (every write refused with OOM for 6 s), Redis frozen (SIGSTOP) 6 s, the
// broker frozen 12 s (past the group's 3 s session timeout and the 10 s checkpoint timeout; the
// reliability command's defaults are 10, 10 and 20 s). While Redis refuses writes the tasks must say they cannot move on — in their
// TaskManager's log, in the JobManager's /partitions and in /metrics — and move on once it takes
// writes again; the run ends with counter == N and every id exactly once.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { freezeService, starveRedis } from '../../src/infra/service-faults.js';
import type { RunContext } from '../../src/runs/seed-run.js';
import { assertExactlyOnce, deleteFaultRunTopics, faultRun, until } from '../helpers/fault-run.js';
import { testEnv } from '../helpers/test-env.js';

interface SeenBlocked {
  /** A partition the JobManager's REST API listed as blocked, and the error it gave. */
  rest?: { partition: number; error: string };
  /** A task's series in /metrics with a blocked time above 0. */
  metric?: string;
}

/** Polls the JobManager while Redis refuses writes, until both views showed a blocked task. */
async function watchBlocked(ctx: RunContext, done: () => boolean): Promise<SeenBlocked> {
  const seen: SeenBlocked = {};
  const url = ctx.cluster.jobManager.url;
  while (!done() && (!seen.rest || !seen.metric)) {
    try {
      const body = (await (await fetch(`${url}/partitions`)).json()) as {
        partitions: { partition: number; blocked: { error: string } | null }[];
      };
      const blocked = body.partitions.find((p) => p.blocked);
      if (blocked?.blocked) seen.rest ??= { partition: blocked.partition, error: blocked.blocked.error };
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const line = metrics
        .split('\n')
        .find((l) => l.startsWith('sluice_task_blocked_seconds{') && Number(l.split(' ').at(-1)) > 0);
      if (line) seen.metric ??= line;
    } catch {
      // The JobManager answers again on the next poll.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return seen;
}

describe('service faults short of a restart', { timeout: 300_000 }, () => {
  after(deleteFaultRunTopics);

  it('Redis out of memory, Redis frozen, the broker frozen past every timeout: blocked tasks said, nothing lost or doubled', async () => {
    let seen: SeenBlocked = {};
    const phases: string[] = [];
    const run = await faultRun(150_000, 5_000, async (ctx) => {
      await until(ctx, 1500);
      let starved = false;
      const watching = watchBlocked(ctx, () => starved);
      const { usedBytes } = await starveRedis({ url: testEnv.redisUrl }, 6000);
      starved = true;
      seen = await watching;
      phases.push(`Redis out of memory 6 s (it held ${usedBytes} bytes)`);
      await until(ctx, 9_000);
      await freezeService(testEnv.infra, 'redis', 6_000);
      phases.push('Redis frozen 6 s');
      await until(ctx, 16_000);
      await freezeService(testEnv.infra, 'kafka', 12_000);
      phases.push('broker frozen 12 s');
    });
    assertExactlyOnce(run, 150_000);
    assert.equal(phases.length, 3, phases.join('; '));
    assert.ok(seen.rest, 'GET /partitions listed a blocked partition while Redis refused writes');
    assert.match(seen.rest.error, /OOM/, 'with the error Redis gave');
    assert.ok(seen.metric, '/metrics showed sluice_task_blocked_seconds above 0');
    const said = run.lines.join('\n');
    assert.match(said, /cannot move on|task_blocked/, 'a TaskManager said a task cannot move on');
    assert.match(said, /moves on|task_unblocked/, 'and that it moved on once Redis took writes again');
  });
});
