// The one source of randomness: a seeded, serialisable PRNG (mulberry32 over a 32-bit state).
// Same seed → same stream on every machine; the state is a single uint32, so a checkpoint can store it.

export class Rng {
  private s: number;
  constructor(seed: number) {
    // Spread small seeds (0, 1, 2, …) over the state space.
    this.s = (Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0) || 0x6d2b79f5;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Uniform in [-a, a). */
  uniform(a: number): number {
    return (2 * this.next() - 1) * a;
  }
  /** Standard normal (Box–Muller, one value per call for a simple state). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[] | Int32Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
  get state(): number {
    return this.s;
  }
  set state(s: number) {
    this.s = s >>> 0;
  }
}
