// Loads a Lua script that sits next to this module (copied into dist/ by the build), so each
// script lives in its own .lua file with its invariant in its header.

import { readFileSync } from 'node:fs';

export function loadLua(name: string): string {
  return readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
}
