// How a command ends on error: a SluiceError prints its code and actionable message (no stack
// trace) and exits with the code's exit status; anything else is a bug and keeps its stack.

import { isSluiceError } from '../errors/sluice-error.js';

export async function runAction(action: () => Promise<number | undefined>): Promise<void> {
  try {
    const code = await action();
    process.exitCode = code ?? 0;
  } catch (error) {
    if (isSluiceError(error)) {
      process.stderr.write(`\n✖ ${error.qualifiedCode}: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`\n✖ Unexpected error (a bug in Sluice; please report it):\n`);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
