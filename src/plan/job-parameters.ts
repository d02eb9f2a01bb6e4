// A job's parameters: raw `key=value` texts (from `--param`, or as the JobSpec carries them) read
// through the job's zod schema. Both processes resolve the same raw texts, so they agree on the
// values; a bad or unknown one stops start-up naming the parameter and what it takes.

import type { z } from 'zod';
import type { JobDefinition } from '../api/job-definition.js';
import { SluiceError } from '../errors/sluice-error.js';

export type RawParameters = Readonly<Record<string, string>>;

/** `key=value` texts (repeatable `--param`) into a record; a text without '=' is an error. */
export function parseParameterFlags(flags: readonly string[]): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    if (at <= 0) {
      throw new SluiceError(
        'JOB_PARAMETER_INVALID',
        `--param ${JSON.stringify(flag)} is not key=value. Fix: pass each parameter as --param name=value.`,
      );
    }
    raw[flag.slice(0, at).trim()] = flag.slice(at + 1);
  }
  return raw;
}

/** The job's parameters, validated; throws JOB_PARAMETER_INVALID naming each bad one. */
export function resolveParameters(job: JobDefinition, raw: RawParameters): Record<string, unknown> {
  const schema = job.parameters;
  const known = schema ? Object.keys(schema.shape) : [];
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new SluiceError(
      'JOB_PARAMETER_INVALID',
      `Job '${job.name}' has no parameter ${unknown.map((k) => `'${k}'`).join(', ')}. ` +
        `${describeParameters(job)} Fix: pass only these with --param name=value.`,
    );
  }
  if (!schema) return {};
  const input: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw)) input[key] = fromText(schema.shape[key], text);
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const problems = parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const given = key in raw ? `--param ${key}=${raw[key]}` : `'${key}' (not given)`;
    return `- ${given}: ${issue.message}`;
  });
  throw new SluiceError(
    'JOB_PARAMETER_INVALID',
    `Invalid parameters for job '${job.name}':\n${problems.join('\n')}\n${describeParameters(job)} ` +
      'Fix: pass an accepted value with --param name=value.',
    { details: { problems } },
  );
}

/** "It takes: input (string, default "lines"), minLength (number, default 1)." */
export function describeParameters(job: JobDefinition): string {
  const shape = job.parameters?.shape ?? {};
  const entries = Object.entries(shape).map(([key, schema]) => {
    const info = inspect(schema);
    const optional =
      info.defaultValue !== undefined
        ? `, default ${JSON.stringify(info.defaultValue)}`
        : info.optional
          ? ', optional'
          : '';
    return `${key} (${info.type}${optional})`;
  });
  return entries.length === 0 ? 'It takes no parameters.' : `It takes: ${entries.join(', ')}.`;
}

interface FieldInfo {
  type: string;
  optional: boolean;
  defaultValue: unknown;
}

interface ZodDefLike {
  type: string;
  innerType?: unknown;
  in?: unknown;
  defaultValue?: unknown;
}

function defOf(schema: unknown): ZodDefLike | undefined {
  return (schema as { _zod?: { def?: ZodDefLike } } | undefined)?._zod?.def;
}

/** The field's base type under optional/default/nullable wrappers, and its default if any. */
function inspect(schema: unknown): FieldInfo {
  let def = defOf(schema);
  let optional = false;
  let defaultValue: unknown;
  while (def) {
    if (def.type === 'optional' || def.type === 'nullable') optional = true;
    else if (def.type === 'default' || def.type === 'prefault') {
      optional = true;
      const value = def.defaultValue;
      defaultValue = typeof value === 'function' ? (value as () => unknown)() : value;
    } else if (def.type === 'pipe') {
      def = defOf(def.in);
      continue;
    } else if (!['readonly', 'catch'].includes(def.type)) break;
    def = defOf(def.innerType);
  }
  return { type: def?.type ?? 'unknown', optional, defaultValue };
}

/** A parameter's text as the value its schema expects: numbers, booleans and JSON are read from text. */
function fromText(schema: z.ZodType | undefined, text: string): unknown {
  const type = inspect(schema).type;
  switch (type) {
    case 'number':
    case 'int':
      return text.trim() === '' ? text : Number(text);
    case 'bigint':
      return /^-?\d+$/.test(text.trim()) ? BigInt(text.trim()) : text;
    case 'boolean': {
      const t = text.trim().toLowerCase();
      return t === 'true' || t === '1' || t === 'yes'
        ? true
        : t === 'false' || t === '0' || t === 'no'
          ? false
          : text;
    }
    case 'object':
    case 'array':
    case 'record':
    case 'tuple':
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    default:
      return text;
  }
}
