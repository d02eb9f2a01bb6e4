// A small mergeable latency histogram: logarithmic buckets 5% wide from 1 ms up, so a percentile
// read from it is within 5% of the truth. TaskManagers fill one each; the JobManager merges them.

const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);

/** Sparse form sent over the wire: bucket index → count. */
export type HistogramBuckets = Record<string, number>;

export class LatencyHistogram {
  readonly #counts = new Map<number, number>();
  #total = 0;
  #max = 0;

  static bucketOf(ms: number): number {
    return ms <= 1 ? 0 : Math.ceil(Math.log(ms) / LOG_GROWTH);
  }

  /** The upper bound of a bucket, in ms. */
  static upperBound(bucket: number): number {
    return bucket === 0 ? 1 : GROWTH ** bucket;
  }

  record(ms: number, count = 1): void {
    const value = Math.max(0, ms);
    const bucket = LatencyHistogram.bucketOf(value);
    this.#counts.set(bucket, (this.#counts.get(bucket) ?? 0) + count);
    this.#total += count;
    if (value > this.#max) this.#max = value;
  }

  merge(buckets: HistogramBuckets): void {
    for (const [bucket, count] of Object.entries(buckets)) {
      const b = Number(bucket);
      this.#counts.set(b, (this.#counts.get(b) ?? 0) + count);
      this.#total += count;
      this.#max = Math.max(this.#max, LatencyHistogram.upperBound(b));
    }
  }

  get count(): number {
    return this.#total;
  }

  /** The latency below which `p` percent of the records fall (upper bucket bound), or undefined if empty. */
  percentile(p: number): number | undefined {
    if (this.#total === 0) return undefined;
    const rank = Math.ceil((p / 100) * this.#total);
    let seen = 0;
    for (const bucket of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(bucket) ?? 0;
      if (seen >= rank) return Math.min(LatencyHistogram.upperBound(bucket), Math.max(this.#max, 1));
    }
    return this.#max;
  }

  /** What was recorded after `earlier` was taken (both cumulative): a measurement window. */
  static since(now: HistogramBuckets, earlier: HistogramBuckets): LatencyHistogram {
    const h = new LatencyHistogram();
    const diff: HistogramBuckets = {};
    for (const [bucket, count] of Object.entries(now)) {
      const d = count - (earlier[bucket] ?? 0);
      if (d > 0) diff[bucket] = d;
    }
    h.merge(diff);
    return h;
  }

  toBuckets(): HistogramBuckets {
    return Object.fromEntries([...this.#counts].map(([b, c]) => [String(b), c]));
  }
}
