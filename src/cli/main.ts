// The `sluice` command: one sub-command per file in this folder.

import { Command } from 'commander';

const program = new Command('sluice')
  .description('Flink-style stream processing for TypeScript over Kafka consumer groups')
  .version('0.1.0')
  .showHelpAfterError();

// A TaskManager is started for every worker and again on every takeover: it loads its own command
// only (the others pull in fastify, prom-client, the benches: ~110 ms of start-up per process).
if (process.argv[2] === 'taskmanager') {
  const { taskManagerCommand } = await import('./taskmanager-command.js');
  program.addCommand(taskManagerCommand());
} else {
  const [infra, run, jobManager, taskManager, produce, stress, reliability, bench] = await Promise.all([
    import('./infra-command.js'),
    import('./run-command.js'),
    import('./jobmanager-command.js'),
    import('./taskmanager-command.js'),
    import('./produce-command.js'),
    import('./stress-command.js'),
    import('./reliability-command.js'),
    import('./bench-command.js'),
  ]);
  program.addCommand(infra.infraCommand());
  program.addCommand(run.runCommand());
  program.addCommand(jobManager.jobManagerCommand());
  program.addCommand(taskManager.taskManagerCommand());
  program.addCommand(produce.produceCommand());
  program.addCommand(stress.stressCommand());
  program.addCommand(reliability.reliabilityCommand());
  program.addCommand(bench.benchCommand());
}

await program.parseAsync(process.argv);
