// A task's progress in each of its sink connectors ("lanes"), as source offsets (-1: not known):
//   written  — records before it were handed to the connector (staged, for a transactional one)
//   prepared — transactional: prepared, not yet committed transactions, oldest first
//   durable  — records before it are durable/visible in the connector
// and what a batch gives each one: its results from where that lane stands, minus what it refused.

import type { SourceRecord } from '../api/records.js';
import type { SinkConnector, SinkOutput } from '../connectors/sink-connector.js';
import type { StageOutputs } from './compile-stage.js';

export interface Lane {
  readonly connector: SinkConnector;
  written: number;
  durable: number;
  /** Transactional: prepared, not yet committed transactions, oldest first. */
  prepared: { checkpointId: number; position: number }[];
  /** Source offsets this connector refused for good (sent to the dead-letter topic instead). */
  readonly refused: Set<number>;
}

export function newLane(connector: SinkConnector): Lane {
  return { connector, written: -1, durable: -1, prepared: [], refused: new Set<number>() };
}

/** The lane has records up to `next`: durable at once unless it is transactional. */
export function advance(lane: Lane, next: number): void {
  lane.written = next;
  if (lane.connector.kind !== 'transactional') lane.durable = next;
}

/** An aborted transaction: the lane keeps only what was committed (Kafka drops what was prepared too). */
export function lostStaged(lane: Lane): void {
  if (lane.connector.preparedSurvivesAbort !== true) lane.prepared = [];
  lane.written = lane.prepared.at(-1)?.position ?? lane.durable;
}

/** Where the task must read from: the lowest point any lane still needs. */
export function lowestWritten(lanes: readonly Lane[]): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const lane of lanes) lowest = Math.min(lowest, lane.written);
  return Number.isFinite(lowest) ? lowest : -1;
}

/** A sink's results from offset `from` on, without the records it refused. */
export function slice(
  out: StageOutputs,
  sink: number,
  from: number,
  refused: ReadonlySet<number>,
): SinkOutput {
  const values = out.values[sink] ?? [];
  const sources = out.sources[sink] ?? [];
  if ((sources.length === 0 || (sources[0] as SourceRecord).offset >= from) && refused.size === 0)
    return { sink, values, sources };
  const keptValues: unknown[] = [];
  const keptSources: SourceRecord[] = [];
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i] as SourceRecord;
    if (source.offset < from || refused.has(source.offset)) continue;
    keptValues.push(values[i]);
    keptSources.push(source);
  }
  return { sink, values: keptValues, sources: keptSources };
}

export function uniqueSources(outputs: readonly SinkOutput[]): SourceRecord[] {
  const seen = new Map<number, SourceRecord>();
  for (const output of outputs) for (const source of output.sources) seen.set(source.offset, source);
  return [...seen.values()].sort((a, b) => a.offset - b.offset);
}
