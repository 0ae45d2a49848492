/**
 * A small seeded pseudo-random generator (mulberry32). The core never calls Math.random: its
 * only randomness is the election timeout, drawn from the generator passed in its config, so
 * that one seed replays a whole simulated run.
 */
export interface Rng {
  /** A uniformly distributed integer in [0, n). */
  int(n: number): number;
  /** A uniformly distributed float in [0, 1). */
  float(): number;
}

export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    float: next,
    int: (n) => Math.floor(next() * n),
  };
}
