// The `sluice` command: one sub-command per file in this folder.

import { Command } from 'commander';
import { benchCommand } from './bench-command.js';
import { infraCommand } from './infra-command.js';
import { jobManagerCommand } from './jobmanager-command.js';
import { produceCommand } from './produce-command.js';
import { reliabilityCommand } from './reliability-command.js';
import { runCommand } from './run-command.js';
import { stressCommand } from './stress-command.js';
import { taskManagerCommand } from './taskmanager-command.js';

const program = new Command('sluice')
  .description('Flink-style stream processing for TypeScript over Kafka consumer groups')
  .version('0.1.0')
  .showHelpAfterError();

program.addCommand(infraCommand());
program.addCommand(runCommand());
program.addCommand(jobManagerCommand());
program.addCommand(taskManagerCommand());
program.addCommand(produceCommand());
program.addCommand(stressCommand());
program.addCommand(reliabilityCommand());
program.addCommand(benchCommand());

await program.parseAsync(process.argv);
