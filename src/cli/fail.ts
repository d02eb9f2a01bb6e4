// How a command ends on error: a SluiceError prints its code and actionable message (no stack
// trace) and exits with the code's exit status; anything else is a bug and keeps its stack. Either
// way the command ends: once its action has settled, whatever still holds the process open (a
// client an error path left unclosed) gets EXIT_GRACE_MS, then the process exits with its code.

import { isSluiceError } from '../errors/sluice-error.js';

/** How long a finished command may take to let go of its clients before it is made to exit. */
export const EXIT_GRACE_MS = 10_000;

export async function runAction(action: () => Promise<number | undefined>): Promise<void> {
  try {
    const code = await action();
    process.exitCode = code ?? 0;
  } catch (error) {
    if (isSluiceError(error)) {
      process.stderr.write(`\n✖ ${error.qualifiedCode}: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`\n✖ Unexpected error (a bug in Sluice; please report it):\n`);
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  } finally {
    exitWhenStuck();
  }
}

/**
 * An unref'd timer: it fires only if something else keeps the process alive EXIT_GRACE_MS after
 * the command finished, and then names what (Node's own list of active resources) and exits.
 */
function exitWhenStuck(): void {
  setTimeout(() => {
    const held = process
      .getActiveResourcesInfo()
      .filter((r) => r !== 'Timeout')
      .join(', ');
    const code = typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0);
    process.stderr.write(
      `✖ The command had finished (exit code ${code}), but something still held the process ${EXIT_GRACE_MS / 1000} s ` +
        `later (a client left open, or one that cannot close while its server is gone; Node's open handles: ${held || 'none'}): exiting.\n`,
    );
    process.exit(code === 0 ? 0 : code);
  }, EXIT_GRACE_MS).unref();
}
