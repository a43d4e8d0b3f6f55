/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna) seeded through splitmix32.
 * Every stochastic API in latentlab takes an `Rng`; nothing uses Math.random, so the same seed
 * gives the same numbers on every machine, and `state()`/`setState()` make resumes exact.
 */

/** A serialisable snapshot of an Rng (four 32-bit words plus a cached normal deviate). */
export interface RngState {
  readonly s: readonly [number, number, number, number];
  readonly spare: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function checkInt(fn: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`${fn}: expected ${name} to be an integer ≥ ${min}, got ${v}`);
  }
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** Seed must be a non-negative safe integer; the high bits are folded in too. */
  constructor(seed = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Rng: expected a non-negative safe integer seed, got ${seed}`);
    }
    const hi = Math.floor(seed / 0x100000000);
    const next = splitmix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Uniform double in [low, high). */
  uniform(low: number, high: number): number;
  uniform(low = 0, high = 1): number {
    const a = this.nextU32() >>> 5;
    const b = this.nextU32() >>> 6;
    const u = (a * 67108864 + b) / 9007199254740992;
    return low + (high - low) * u;
  }

  /** Standard normal deviate (Box–Muller; the second deviate is cached in the state). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    checkInt('Rng.int', 'n', n, 1);
    if (n <= 0x100000000) {
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = this.nextU32();
        if (x < limit) return x % n;
      }
    }
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0 … n−1. */
  permutation(n: number): Int32Array {
    checkInt('Rng.permutation', 'n', n, 0);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** k distinct indices drawn uniformly from 0 … n−1 (partial Fisher–Yates, O(k) memory for small k). */
  sample(n: number, k: number): Int32Array {
    checkInt('Rng.sample', 'n', n, 0);
    checkInt('Rng.sample', 'k', k, 0);
    if (k > n) throw new RangeError(`Rng.sample: expected k ≤ n, got k = ${k} > n = ${n}`);
    const swaps = new Map<number, number>();
    const out = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const vj = swaps.get(j) ?? j;
      const vi = swaps.get(i) ?? i;
      out[i] = vj;
      swaps.set(j, vi);
    }
    return out;
  }

  /** Fills an array with uniform values in [low, high). */
  fillUniform(out: Float32Array, low = 0, high = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** Fills an array with normal values. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** A new independent generator derived from this one (advances this one). */
  fork(): Rng {
    const r = new Rng(0);
    r.s0 = this.nextU32();
    r.s1 = this.nextU32();
    r.s2 = this.nextU32();
    r.s3 = this.nextU32();
    if ((r.s0 | r.s1 | r.s2 | r.s3) === 0) r.s0 = 1;
    return r;
  }

  state(): RngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spare: this.spare };
  }

  setState(st: RngState): void {
    const s: unknown = st.s;
    if (!Array.isArray(s) || s.length !== 4 || s.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffffffff)) {
      throw new TypeError(`Rng.setState: expected s to be four 32-bit unsigned integers, got ${JSON.stringify(s)}`);
    }
    const w = s as number[];
    if (w.every((x) => x === 0)) throw new RangeError('Rng.setState: the all-zero state is invalid');
    [this.s0, this.s1, this.s2, this.s3] = w.map((x) => x | 0) as [number, number, number, number];
    this.spare = st.spare;
  }

  static fromState(st: RngState): Rng {
    const r = new Rng(0);
    r.setState(st);
    return r;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
