// Which partition of a repartition topic a key goes to: Kafka's default partitioner for keyed
// records (murmur2 of the key's UTF-8 bytes, made positive, modulo the partition count), so a topic
// Sluice repartitions lands keys where a Java producer with the same key would put them.

export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions;
}

/** Kafka's `Utils.murmur2` (seed 0x9747b28c), on 32-bit integers. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = 0x9747b28c ^ length;
  const fours = length >> 2;
  for (let i = 0; i < fours; i++) {
    const at = i * 4;
    let k =
      (data[at] as number) |
      ((data[at + 1] as number) << 8) |
      ((data[at + 2] as number) << 16) |
      ((data[at + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = fours * 4;
  const rest = length % 4;
  // The tail bytes fold in from the highest (murmur2's fall-through switch).
  if (rest === 3) h ^= (data[tail + 2] as number) << 16;
  if (rest >= 2) h ^= (data[tail + 1] as number) << 8;
  if (rest >= 1) {
    h ^= data[tail] as number;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
