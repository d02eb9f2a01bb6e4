// Copies the non-TypeScript files modules load at runtime (Lua scripts, dashboard pages) from src/
// into dist/src/, next to the compiled modules that read them.
import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';

const ASSETS = new Set(['.lua', '.html', '.css', '.svg']);
function copy(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) copy(from);
    // The dashboard's browser script is plain JavaScript (the only .js under src/).
    else if (ASSETS.has(path.extname(entry.name)) || from.startsWith(path.join('src', 'dashboard'))) {
      cpSync(from, path.join('dist', from));
    }
  }
}
copy('src');
