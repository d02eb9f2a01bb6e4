// A small seeded pseudo-random generator (xorshift32): the same seed gives the same fault schedule,
// so a failing reliability run can be replayed with --seed.

export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
