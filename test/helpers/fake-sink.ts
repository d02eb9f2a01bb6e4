// An in-memory Sink with the same contract as the Redis counter sink (epoch fencing, positions,
// duplicates, overlaps), for unit tests of tasks. Integration tests use the real one.

import type { ApplyOutcome, OffsetRange, PartitionClaim, Sink } from '../../src/api/sink.js';

export class FakeSink implements Sink<unknown> {
  readonly name = 'fake';
  readonly positions = new Map<number, number>();
  readonly epochs = new Map<number, number>();
  readonly applied: { partition: number; records: unknown[]; range: OffsetRange }[] = [];
  /** Makes the next N apply calls throw (a Redis outage). */
  failNext = 0;
  /** Holds apply calls until released (to test draining). */
  gate: Promise<void> | undefined;

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async claim(partition: number): Promise<PartitionClaim> {
    const epoch = (this.epochs.get(partition) ?? 0) + 1;
    this.epochs.set(partition, epoch);
    return { epoch, position: this.positions.get(partition) };
  }

  async apply(
    partition: number,
    epoch: number,
    records: readonly unknown[],
    range: OffsetRange,
  ): Promise<ApplyOutcome> {
    if (this.gate) await this.gate;
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection refused');
    }
    const current = this.epochs.get(partition) ?? 0;
    if (current !== epoch) return { status: 'fenced', currentEpoch: current };
    const position = this.positions.get(partition);
    if (position !== undefined && range.nextOffset <= position) return { status: 'duplicate', position };
    if (position !== undefined && range.firstOffset < position) return { status: 'overlap', position };
    this.positions.set(partition, range.nextOffset);
    this.applied.push({ partition, records: [...records], range });
    return { status: 'applied', position: range.nextOffset };
  }

  total(): number {
    return this.applied.reduce((n, a) => n + a.records.length, 0);
  }
}
