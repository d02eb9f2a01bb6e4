#!/usr/bin/env node
// Entry point of the `sluice` command: runs the compiled CLI from dist/.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'Sluice is not built yet. Run `npm run setup` (or `npm run build`) in the checkout first.\n',
  );
  process.exit(1);
}
await import(main.href);
