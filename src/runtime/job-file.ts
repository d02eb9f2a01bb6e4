// Loads a job file — the user's TypeScript or JavaScript — and fingerprints its build. TypeScript
// runs through tsx (esbuild: no separate compile step, no type check at run time); JavaScript is
// imported as it is. The build hash covers the job file and every file of the user's it imports
// (relative imports, followed transitively): the same code on every host gives the same hash.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isJobDefinition, type JobDefinition } from '../api/job-definition.js';
import { describeCause, SluiceError } from '../errors/sluice-error.js';

export interface LoadedJob {
  readonly definition: JobDefinition;
  /** Absolute path of the job file. */
  readonly file: string;
  /** sha256 of the job's own files (paths relative to the job file's folder, and contents). */
  readonly buildHash: string;
  /** Those files, relative to the job file's folder. */
  readonly files: readonly string[];
}

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;

export async function loadJobFile(file: string, cwd = process.cwd()): Promise<LoadedJob> {
  const absolute = path.resolve(cwd, file);
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    throw new SluiceError(
      'JOB_FILE_INVALID',
      `No job file at ${absolute}. Fix: pass the path of a job file (.ts or .js) whose default export is defineJob({...}).`,
    );
  }
  let module: unknown;
  try {
    module = TYPESCRIPT.test(absolute)
      ? await importTypeScript(absolute)
      : await import(pathToFileURL(absolute).href);
  } catch (error) {
    throw new SluiceError(
      'JOB_FILE_INVALID',
      `The job file ${absolute} could not be loaded: ${describeCause(error)}. Fix the file (run it with \`npx tsx ${file}\` to see the error in place).`,
      { cause: error },
    );
  }
  const definition = defaultExport(module);
  if (!definition) {
    throw new SluiceError(
      'JOB_FILE_INVALID',
      `The job file ${absolute} does not export a job: its default export is ${describeExport(module)}. ` +
        "Fix: end the file with `export default defineJob({ name, build })` (import { defineJob } from 'sluice').",
    );
  }
  const { hash, files } = buildHash(absolute);
  return { definition, file: absolute, buildHash: hash, files };
}

async function importTypeScript(file: string): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(pathToFileURL(file).href, { parentURL: import.meta.url });
}

/** The job among the module's exports: its default export (unwrapping a CommonJS module's `default`). */
function defaultExport(module: unknown): JobDefinition | undefined {
  let candidate = (module as { default?: unknown } | undefined)?.default;
  for (let depth = 0; depth < 3 && candidate !== undefined; depth++) {
    if (isJobDefinition(candidate)) return candidate;
    candidate = (candidate as { default?: unknown } | null)?.default;
  }
  return undefined;
}

function describeExport(module: unknown): string {
  const value = (module as { default?: unknown } | undefined)?.default;
  if (value === undefined) return 'missing';
  if (typeof value === 'object' && value !== null)
    return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`;
  return `a ${typeof value}`;
}

const IMPORTS =
  /(?:^|[\s;])(?:import|export)\s[^;'"`]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The job file and the files it imports by relative path, hashed with their paths relative to its folder. */
export function buildHash(entry: string): { hash: string; files: string[] } {
  const root = path.dirname(entry);
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0 && seen.size < 1000) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(IMPORTS)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? match[4];
      if (!specifier?.startsWith('.')) continue;
      const resolved = resolveLocal(path.resolve(path.dirname(file), specifier));
      if (resolved && !resolved.includes(`${path.sep}node_modules${path.sep}`)) queue.push(resolved);
    }
  }
  const files = [...seen].sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(root, file).split(path.sep).join('/'));
    hash.update('\0');
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return { hash: hash.digest('hex').slice(0, 16), files: files.map((f) => path.relative(root, f)) };
}

/** A relative import as the loader would find it: './x.js' may be x.ts, './x' may be x.ts or x/index.ts. */
function resolveLocal(base: string): string | undefined {
  const swapped = base
    .replace(/\.js$/, '.ts')
    .replace(/\.mjs$/, '.mts')
    .replace(/\.cjs$/, '.cts')
    .replace(/\.jsx$/, '.tsx');
  const candidates = [
    base,
    swapped,
    ...['.ts', '.tsx', '.mts', '.js', '.mjs', '.json'].map((ext) => base + ext),
    ...['index.ts', 'index.js'].map((name) => path.join(base, name)),
  ];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}
