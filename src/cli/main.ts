// The `sluice` command: one sub-command per file in this folder.

import { Command } from 'commander';
import { infraCommand } from './infra-command.js';
import { runCommand } from './run-command.js';

const program = new Command('sluice')
  .description('Flink-style stream processing for TypeScript over Kafka consumer groups')
  .version('0.1.0')
  .showHelpAfterError();

program.addCommand(infraCommand());
program.addCommand(runCommand());

await program.parseAsync(process.argv);
