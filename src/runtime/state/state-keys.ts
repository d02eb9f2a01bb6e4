// How keyed state, timers and a task's event-time clock are laid out as store keys. Every key
// starts with the name of the stateful step it belongs to, so the step's changelog topic is known
// from the key alone; the separators cannot appear in a step name (letters, digits, '.', '_', '-').
//
//   <step>\0<state>\0<key>                    a value-state or map-state entry
//   <step>\x01T\0<domain>\0<time>\0<key>      a timer (domain e = event, p = processing, c = cleanup)
//   <step>\x01W                               the task's clock (kept with the stage's first step)
//   <step>\x01S                               the number of the task's last held time results
//   <step>\x01R\0<seq>                         time results held for non-transactional sinks

export const SEP = '\u0000';
const INTERNAL = '\u0001';

export function stateKey(step: string, state: string, key: string): string {
  return `${step}${SEP}${state}${SEP}${key}`;
}

export type TimerDomain = 'e' | 'p' | 'c';

/** Times are written fixed-width so that key order is time order within a step and domain. */
export function timerKey(step: string, domain: TimerDomain, time: number, key: string): string {
  return `${timerPrefix(step)}${domain}${SEP}${encodeTime(time)}${SEP}${key}`;
}

export function timerPrefix(step: string): string {
  return `${step}${INTERNAL}T${SEP}`;
}

export function parseTimerKey(
  step: string,
  storeKey: string,
): { domain: TimerDomain; time: number; key: string } | undefined {
  const rest = storeKey.slice(timerPrefix(step).length);
  const [domain, time, ...key] = rest.split(SEP);
  if ((domain !== 'e' && domain !== 'p' && domain !== 'c') || time === undefined) return undefined;
  return { domain, time: decodeTime(time), key: key.join(SEP) };
}

export function clockKey(step: string): string {
  return `${step}${INTERNAL}W`;
}

/** Results of time passing held for sinks outside the transaction (first step of the stage). */
export function heldSeqKey(step: string): string {
  return `${step}${INTERNAL}S`;
}

export function heldPrefix(step: string): string {
  return `${step}${INTERNAL}R${SEP}`;
}

export function heldKey(step: string, seq: number): string {
  return `${heldPrefix(step)}${encodeTime(seq)}`;
}

export function parseHeldKey(step: string, storeKey: string): number {
  return decodeTime(storeKey.slice(heldPrefix(step).length));
}

/** The step a store key belongs to (its changelog). */
export function stepOf(storeKey: string): string {
  let end = 0;
  while (end < storeKey.length && storeKey.charCodeAt(end) > 1) end++;
  return storeKey.slice(0, end);
}

// Event times may be negative (before 1970) or huge: offset into a fixed 16-digit positive range.
const OFFSET = 2 ** 52;
function encodeTime(time: number): string {
  return (time + OFFSET).toString().padStart(16, '0');
}
function decodeTime(text: string): number {
  return Number(text) - OFFSET;
}
