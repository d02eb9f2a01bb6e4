// `sluice bench <name>` (npm run bench -- <name>): measurements that print figures. Benchmarks never
// assert speed; they report what they saw and the machine they saw it on. One file per bench under bench/.

import { Command } from 'commander';
import { FAILOVER_PEERS } from '../bench/failover-bench.js';
import { RESTORE_PEERS } from '../bench/restore-bench.js';
import { THROUGHPUT_PEERS } from '../bench/throughput-bench.js';
import { WINDOWED_PEERS } from '../bench/windowed-bench.js';
import { delivery } from './bench/delivery-bench.js';
import { distribution } from './bench/distribution-bench.js';
import { failover, footprint, latency, restore, throughput, windowed } from './bench/peer-benches.js';
import { runAction } from './fail.js';
import { JOB_SETTINGS } from './run-command.js';
import { addSettingFlags } from './settings-options.js';

export function benchCommand(): Command {
  const bench = new Command('bench').description('measurements that print figures (no pass/fail on speed)');
  addSettingFlags(
    bench
      .command('distribution')
      .description(
        'start N TaskManagers (default 20), time the partition distribution, compare with the broker, RSS',
      )
      .option('--rounds <n>', 'how many times to start the group', '3'),
    JOB_SETTINGS,
  ).action((flags: Record<string, unknown>) => runAction(() => distribution(flags)));
  addSettingFlags(
    bench
      .command('delivery')
      .description(
        'what exactly-once costs: the same job with the exactly-once and the at-least-once Redis sink',
      )
      .option('--latency-rate <n>', 'input rate of the latency pass, records/s', '20000')
      .option('--latency-messages <n>', 'records of the latency pass', '200000'),
    JOB_SETTINGS,
  ).action((flags: Record<string, unknown>) => runAction(() => delivery(flags)));
  addSettingFlags(
    bench
      .command('throughput')
      .description(
        'the same count-per-key job run by Sluice, Kafka Streams, a plain consumer and the raw read limit',
      )
      .option('--quick', 'a short form (CI): 50,000 records, one run, exactness only')
      .option('--records <n>', 'input records', '2000000')
      .option('--runs <n>', 'runs per peer (median, min, max)', '3')
      .option(
        '--peers <list>',
        `comma-separated, of ${THROUGHPUT_PEERS.join(', ')}`,
        THROUGHPUT_PEERS.join(','),
      ),
    ['kafkaBootstrap', 'redisUrl', 'stateDir', 'partitions'],
  ).action((flags: Record<string, unknown>) => runAction(() => throughput(flags)));
  addSettingFlags(
    bench
      .command('windowed')
      .description(
        'count per key in 10 s tumbling event-time windows, exactly once: Sluice (LMDB + changelog) vs Kafka Streams',
      )
      .option('--quick', 'a short form (CI): 50,000 records, one run, exactness only')
      .option('--records <n>', 'input records (event time: the id in ms)', '1000000')
      .option('--keys <n>', 'distinct keys (issue 13 names 100,000; earlier figures used 1,000)', '100000')
      .option('--window <ms>', 'window size', '10000')
      .option('--taskmanagers <n>', "Sluice's TaskManagers (default: one per partition)")
      .option(
        '--checkpoint-every <ms>',
        "Sluice's checkpoint interval (Kafka Streams commits every 100 ms)",
        '100',
      )
      .option('--runs <n>', 'runs per peer (median, min, max)', '3')
      .option('--peers <list>', `comma-separated, of ${WINDOWED_PEERS.join(', ')}`, WINDOWED_PEERS.join(',')),
    ['kafkaBootstrap', 'redisUrl', 'stateDir', 'partitions'],
  ).action((flags: Record<string, unknown>) => runAction(() => windowed(flags)));
  addSettingFlags(
    bench
      .command('restore')
      .description(
        'a job with N keys of state, its local state deleted: time until it works again (Sluice vs Kafka Streams)',
      )
      .option('--quick', 'a short form (CI): 2,000 keys, one run, exactness only')
      .option('--keys <list>', 'comma-separated sizes of state, in keys', '1000,1000000')
      .option('--markers <n>', 'records on known keys written while the job is down', '1000')
      .option(
        '--taskmanagers <n>',
        "Sluice's TaskManagers (default: one per partition; 1: one process holds every key, as the one JVM)",
      )
      .option('--runs <n>', 'runs per peer and size (median, min, max)', '3')
      .option('--peers <list>', `comma-separated, of ${RESTORE_PEERS.join(', ')}`, RESTORE_PEERS.join(',')),
    ['kafkaBootstrap', 'redisUrl', 'stateDir', 'partitions'],
  ).action((flags: Record<string, unknown>) => runAction(() => restore(flags)));
  addSettingFlags(
    bench
      .command('failover')
      .description(
        'kill -9 an ACTIVE worker, time until its partition progresses elsewhere (Sluice vs Kafka Streams)',
      )
      .option('--quick', 'a short form (CI): 1 kill, Sluice KIP-848 and Kafka Streams with a 6 s session')
      .option('--kills <n>', 'kills per peer', '20')
      .option('--peers <list>', `comma-separated, of ${FAILOVER_PEERS.join(', ')}`, FAILOVER_PEERS.join(',')),
    ['kafkaBootstrap', 'redisUrl', 'stateDir', 'partitions'],
  ).action((flags: Record<string, unknown>) => runAction(() => failover(flags)));
  addSettingFlags(
    bench
      .command('latency')
      .description('produce at a fixed rate, time to a visible exactly-once result (Sluice vs Kafka Streams)')
      .option('--quick', 'a short form (CI): 5 s at 5,000 records/s, one Kafka-sink interval (100 ms)')
      .option('--rate <n>', 'records per second', '25000')
      .option('--seconds <n>', 'how long to measure', '30')
      .option(
        '--kafka-checkpoints <list>',
        'checkpoint intervals (ms) of the Kafka-sink peers, comma-separated: one peer each',
        '100,250,1000',
      )
      .option(
        '--per-task-checkpoints <list>',
        'checkpoint intervals (ms) of Kafka-sink peers whose tasks commit at the barrier (SLUICE_CHECKPOINT_COMMIT=per-task), comma-separated: one peer each; 0 for none',
        '100',
      ),
    ['kafkaBootstrap', 'redisUrl', 'stateDir', 'partitions'],
  ).action((flags: Record<string, unknown>) => runAction(() => latency(flags)));
  addSettingFlags(
    bench
      .command('footprint')
      .description(
        'RSS of idle and active TaskManagers; assignment time with 20, 50, 100; throughput with 4, 16, 64 partitions',
      )
      .option('--scales <list>', 'TaskManager counts to time the assignment of', '20,50,100')
      .option('--partition-counts <list>', 'partition counts to measure throughput with', '4,16,64')
      .option('--records <n>', 'records per partition-count run', '1000000'),
    ['kafkaBootstrap', 'redisUrl', 'stateDir'],
  ).action((flags: Record<string, unknown>) => runAction(() => footprint(flags)));
  return bench;
}
