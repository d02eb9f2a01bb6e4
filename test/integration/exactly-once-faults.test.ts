// Exactly once under real faults: TaskManagers killed with SIGKILL at random moments, the broker
// restarted, Redis restarted, a zombie TaskManager frozen past its session and woken up. Each run
// must end with counter == N and every id applied exactly once (the sink's own id record).

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { infraRestart } from '../../src/infra/infra.js';
import {
  activeIds,
  assertExactlyOnce,
  deleteFaultRunTopics,
  deleteWithFaultRuns,
  faultRun,
  until,
} from '../helpers/fault-run.js';
import { testEnv, uniqueName } from '../helpers/test-env.js';

/** A small seeded generator, so a failing schedule can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('exactly once under faults', { timeout: 600_000 }, () => {
  after(deleteFaultRunTopics);

  it('survives three kill -9 of ACTIVE TaskManagers at random moments of a 200,000-message run', async (t) => {
    const seed = Number(process.env.SLUICE_TEST_SEED ?? Date.now() % 100_000);
    const rnd = random(seed);
    // The input flows for 8 s (200,000 at 25,000/s). Kills 1.5 s apart at the earliest, the last
    // before 7 s: every victim's partition still has input to come, so the run cannot end before
    // it was taken over (a kill after the input ended could go unanswered by the time N is reached).
    const moments = [0, 1, 2].map(() => 1000 + Math.floor(rnd() * 3000)).sort((a, b) => a - b);
    const killed: string[] = [];
    const hits: { at: number; partitions: readonly number[] }[] = [];
    const run = await faultRun(200_000, 25_000, async (ctx) => {
      for (const at of moments) {
        await until(ctx, at);
        const victims = activeIds(ctx);
        const victim = victims[Math.floor(rnd() * victims.length)];
        const partitions = victim ? [...(ctx.cluster.registry.get(victim)?.tasks ?? [])] : [];
        if (victim && ctx.cluster.kill(victim, 'SIGKILL')) {
          killed.push(victim);
          hits.push({ at: Date.now(), partitions });
        }
        // Let the group notice (session timeout) before the next kill.
        await sleep(1500);
      }
    });
    t.diagnostic(`seed ${seed}: killed ${killed.join(', ')} at ${moments.join(', ')} ms`);
    assert.equal(killed.length, 3, `seed ${seed}: killed ${killed.join(', ')}`);
    assertExactlyOnce(run, 200_000);
    assert.equal(run.result.restarts.length, 3, 'each killed TaskManager was started again');
    // Every partition a killed process owned was assigned again afterwards (one assignment may
    // carry the partitions of two kills that fell close together).
    const assigned = run.result.rebalancesDuringRun.filter((c) => c.kind === 'assigned');
    for (const hit of hits) {
      for (const p of hit.partitions) {
        assert.ok(
          assigned.some((c) => c.at >= hit.at && c.tasks.includes(p)),
          `partition ${p} of a TaskManager killed at ${hit.at} was taken over`,
        );
      }
    }
    assert.ok(
      hits.some((h) => h.partitions.length > 0),
      'a killed TaskManager owned partitions',
    );
  });

  // aligned: Flink's two-phase commit; per-task: each task commits at its barrier (Kafka Streams).
  for (const commit of ['aligned', 'per-task'] as const)
    it(`Kafka sink (${commit} commits): a read_committed reader of the output topic sees each id once after kill -9s`, async () => {
      const killed: string[] = [];
      const output = `${uniqueName('faults-out')}`;
      deleteWithFaultRuns(output);
      const run = await faultRun(
        100_000,
        20_000,
        async (ctx) => {
          for (const at of [1500, 3500]) {
            await until(ctx, at);
            const victim = activeIds(ctx)[0];
            if (victim && ctx.cluster.kill(victim, 'SIGKILL')) killed.push(victim);
          }
        },
        { sink: `kafka:${output}`, checkpointCommit: commit },
      );
      assert.equal(killed.length, 2);
      assert.equal(run.result.sink, `kafka:${output}`);
      assertExactlyOnce(run, 100_000);
      assert.equal(run.result.latency?.visibleIn, 'kafka');
      // Every TaskManager (the killed ones' successors too) ran its tasks in the mode asked for.
      const ready = run.lines.filter((l) => l.includes('"taskmanager.ready"'));
      assert.ok(ready.length >= 5, `${ready.length} TaskManagers said they were ready`);
      for (const line of ready) assert.equal(JSON.parse(line).checkpointCommit, commit, line);
    });

  it('survives a broker restart in the middle of a run', async () => {
    const run = await faultRun(100_000, 20_000, async (ctx) => {
      await until(ctx, 1500);
      await infraRestart(testEnv.infra, 'kafka', { kafkaTimeoutMs: 120_000 });
    });
    assertExactlyOnce(run, 100_000);
  });

  it('survives a Redis restart in the middle of a run (AOF keeps results and positions together)', async () => {
    const run = await faultRun(100_000, 20_000, async (ctx) => {
      await until(ctx, 1500);
      await infraRestart(testEnv.infra, 'redis', { kafkaTimeoutMs: 60_000 });
    });
    assertExactlyOnce(run, 100_000);
  });

  it("refuses a zombie's late writes: SIGSTOP past the session timeout, then SIGCONT", async (t) => {
    let zombie: string | undefined;
    const run = await faultRun(100_000, 15_000, async (ctx) => {
      await until(ctx, 1500);
      zombie = activeIds(ctx)[0];
      assert.ok(zombie);
      const partition = ctx.cluster.registry.get(zombie)?.tasks[0];
      ctx.cluster.kill(zombie, 'SIGSTOP');
      // Frozen until another TaskManager reports its partition (the broker moved it after the session timeout).
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const owners = ctx.cluster.registry.owners().get(partition ?? -1) ?? [];
        if (owners.some((id) => id !== zombie)) break;
        await sleep(100);
      }
      await sleep(500);
      ctx.cluster.kill(zombie, 'SIGCONT');
    });
    assertExactlyOnce(run, 100_000);
    const zombieLines = run.lines.filter((l) => l.includes(`"taskManagerId":"${zombie}"`));
    const fenced = zombieLines.filter((l) => l.includes('"event":"taskmanager.write_fenced"'));
    const lost = zombieLines.filter((l) => l.includes('"event":"taskmanager.partitions_lost"'));
    t.diagnostic(`zombie ${zombie}: ${fenced.length} late writes refused, ${lost.length} loss notices`);
    assert.ok(fenced.length + lost.length > 0, `the zombie ${zombie} learned it had lost its partition`);
    if (fenced.length > 0)
      assert.match(fenced[0] ?? '', /🧟 TaskManager TM-\d+: write to partition \d+ rejected/);
  });
});
