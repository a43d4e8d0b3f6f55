// f32x4 building blocks shared by the kernels: the activations and their gradients, e^x, and
// partial stores for the tail of a row. The math follows the native backend's (Cephes expf and
// tanhf, the same split for sigmoid), lane by lane, so both backends round alike; NaN propagates
// (clamps are pmin / pmax, which keep the first operand when a comparison is false).

/** Activation codes, as ACTIVATION_CODE in src/tensor/backend.ts. */
export const IDENTITY = 0;
export const RELU = 1;
export const LEAKY_RELU = 2;
export const TANH = 3;
export const SIGMOID = 4;

export class V {
  /** e^x lane-wise (Cephes expf): x = n·ln2 + r, a degree-6 polynomial for e^r, 2^n put in the exponent bits; 0 below −87.34. */
  @inline static exp(x: v128): v128 {
    const lo = f32x4.splat(-87.33654);
    let xc = f32x4.pmin(x, f32x4.splat(88.0));
    xc = f32x4.pmax(xc, lo);
    // round(x·log2 e) with the 1.5·2²³ trick: no float → int conversion
    const t = f32x4.add(f32x4.mul(xc, f32x4.splat(1.4426950408889634)), f32x4.splat(12582912.0));
    const n = f32x4.sub(t, f32x4.splat(12582912.0));
    let r = f32x4.sub(xc, f32x4.mul(n, f32x4.splat(0.693359375)));
    r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.1219444e-4)));
    const z = f32x4.mul(r, r);
    let y = f32x4.add(f32x4.mul(f32x4.splat(1.98756915e-4), r), f32x4.splat(1.3981999507e-3));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(8.3334519073e-3));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(4.1665795894e-2));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(1.6666665459e-1));
    y = f32x4.add(f32x4.mul(y, r), f32x4.splat(5.0000001201e-1));
    y = f32x4.add(f32x4.add(f32x4.mul(y, z), r), f32x4.splat(1.0));
    const scale = i32x4.shl(i32x4.add(i32x4.sub(t, i32x4.splat(0x4b400000)), i32x4.splat(127)), 23);
    y = f32x4.mul(y, scale);
    return v128.andnot(y, f32x4.lt(x, lo));
  }

  /** tanh: odd polynomial (Cephes tanhf) below 0.625, else 1 − 2/(e^{2|x|} + 1) with the sign of x. */
  @inline static tanh(x: v128): v128 {
    const ax = f32x4.abs(x);
    const z = f32x4.mul(x, x);
    let p = f32x4.add(f32x4.mul(f32x4.splat(-5.70498872745e-3), z), f32x4.splat(2.06390887954e-2));
    p = f32x4.sub(f32x4.mul(p, z), f32x4.splat(5.37397155531e-2));
    p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
    p = f32x4.sub(f32x4.mul(p, z), f32x4.splat(3.33332819422e-1));
    const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
    const c = f32x4.pmin(ax, f32x4.splat(10.0)); // tanh(10) rounds to 1 in float
    const e = V.exp(f32x4.add(c, c));
    const one = f32x4.splat(1.0);
    const big = f32x4.sub(one, f32x4.div(f32x4.splat(2.0), f32x4.add(e, one)));
    const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
    return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
  }

  /** sigmoid: with e = e^{−|x|} ≤ 1, 1/(1 + e) for x ≥ 0 and e/(1 + e) otherwise (never overflows). */
  @inline static sigmoid(x: v128): v128 {
    const e = V.exp(f32x4.neg(f32x4.abs(x)));
    const s = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), e));
    return v128.bitselect(s, f32x4.mul(e, s), f32x4.ge(x, f32x4.splat(0.0)));
  }

  /** act(v) for an activation code (a constant where it is inlined, so the branches fold away). */
  @inline static act(kind: i32, v: v128, slope: v128): v128 {
    if (kind == RELU) return v128.and(v, f32x4.gt(v, f32x4.splat(0.0)));
    if (kind == LEAKY_RELU) return v128.bitselect(v, f32x4.mul(slope, v), f32x4.gt(v, f32x4.splat(0.0)));
    if (kind == TANH) return V.tanh(v);
    if (kind == SIGMOID) return V.sigmoid(v);
    return v;
  }

  /** act'(·) expressed through the output y. */
  @inline static actGrad(kind: i32, y: v128, slope: v128): v128 {
    const one = f32x4.splat(1.0);
    if (kind == RELU) return v128.and(one, f32x4.gt(y, f32x4.splat(0.0)));
    if (kind == LEAKY_RELU) return v128.bitselect(one, slope, f32x4.gt(y, f32x4.splat(0.0)));
    // 1 − y² as (1 − y)(1 + y): both factors exact where y² is near 1, so no cancellation (no FMA in wasm)
    if (kind == TANH) return f32x4.mul(f32x4.sub(one, y), f32x4.add(one, y));
    if (kind == SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
    return one;
  }

  /** Stores the first `count` (1 to 4) lanes of v at ptr. */
  @inline static storeFirst(ptr: usize, v: v128, count: i32): void {
    if (count >= 4) {
      v128.store(ptr, v);
      return;
    }
    v128.store32_lane(ptr, v, 0);
    if (count > 1) v128.store32_lane(ptr, v, 1, 4);
    if (count > 2) v128.store32_lane(ptr, v, 2, 8);
  }

  /** All-ones in the first `count` lanes (count ≥ 4: every lane), zeros after. */
  @inline static firstLanes(count: i32): v128 {
    return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(count));
  }

  /** Lanes 2 and 3 of v moved to lanes 0 and 1 (the high half, for promote_low). */
  @inline static high(v: v128): v128 {
    return i32x4.shuffle(v, v, 2, 3, 0, 1);
  }
}
