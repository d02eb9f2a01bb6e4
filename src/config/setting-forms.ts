// The forms a setting's raw text may take (durations, ports, addresses, …), as zod schemas from
// the string the user wrote to the value Sluice uses; settings.ts says which setting takes which.

import { z } from 'zod';

export const trimmed = z.string().trim();
export const nonEmpty = trimmed.min(1);
export const booleanText = trimmed
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const positiveInt = (max: number) =>
  trimmed.regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(max));
export const port = positiveInt(65535);
/** Kafka's legal topic name: up to 249 of [a-zA-Z0-9._-]. */
export const topicName = trimmed.regex(/^[a-zA-Z0-9._-]{1,249}$/);
/** "60s", "1500ms", "2m", or a bare number of milliseconds. */
export const duration = trimmed
  .regex(/^\d+(ms|s|m)?$/)
  .transform((v) => {
    const n = Number.parseInt(v, 10);
    if (v.endsWith('ms')) return n;
    if (v.endsWith('s')) return n * 1000;
    if (v.endsWith('m')) return n * 60_000;
    return n;
  })
  .pipe(z.number().int().min(1));
/** host:port[,host:port...] as librdkafka's bootstrap.servers takes it. */
export const bootstrapServers = trimmed.regex(/^[A-Za-z0-9.[\]:-]+:\d{1,5}(,[A-Za-z0-9.[\]:-]+:\d{1,5})*$/);
export const redisUrl = trimmed.regex(/^rediss?:\/\/[^\s]+$/);
/** A credential: taken as given (a space may be part of it), never shown back. */
export const secretText = z.string().min(1);
export const hidden = (raw: string) => `a value of ${raw.length} characters (not shown)`;
/** A URL's password (redis://user:pw@host) is masked when the URL is quoted in an error. */
export const urlWithoutPassword = (raw: string) =>
  JSON.stringify(raw.replace(/^(\w+:\/\/[^:@/]*:).*@/, '$1***@'));
export const heapSize = trimmed.regex(/^\d+[mMgG]$/);

/** librdkafka's `debug` contexts (CONFIGURATION.md of librdkafka 2.15). */
export const LIBRDKAFKA_DEBUG_CONTEXTS = [
  'generic',
  'broker',
  'topic',
  'metadata',
  'feature',
  'queue',
  'msg',
  'protocol',
  'cgrp',
  'security',
  'fetch',
  'interceptor',
  'plugin',
  'consumer',
  'admin',
  'eos',
  'mock',
  'assignor',
  'conf',
  'telemetry',
  'all',
] as const;

/** "cgrp, EOS" → "cgrp,eos": a comma-separated list of librdkafka debug contexts. */
export const debugContexts = trimmed
  .toLowerCase()
  .transform((v) => v.split(',').map((c) => c.trim()))
  .pipe(z.array(z.enum(LIBRDKAFKA_DEBUG_CONTEXTS)))
  .transform((contexts) => contexts.join(','));
