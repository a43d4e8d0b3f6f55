// The optimizer updates, PyTorch's formulas as the native backend computes them: Adam and SGD in
// float32 lanes (their scalars, bias corrections included, computed once by the caller), RMSprop's
// state in float64 lanes (centered RMSprop's sq − gAvg² cancels, and its momentum buffer sums
// terms much larger than the sum). Arrays are padded to whole vectors, so the loops run whole ones.
import { G } from './util';

class O {
  @inline static adamRange(
    mode: i32,
    p: usize,
    g: usize,
    m: usize,
    v: usize,
    n: i32,
    beta1: f32,
    beta2: f32,
    omb1: f32,
    omb2: f32,
    stepSize: f32,
    invBc2Sqrt: f32,
    eps: f32,
    wd: f32,
    decay: f32,
  ): void {
    const b1 = f32x4.splat(beta1);
    const b2 = f32x4.splat(beta2);
    const o1 = f32x4.splat(omb1);
    const o2 = f32x4.splat(omb2);
    const ss = f32x4.splat(stepSize);
    const ib = f32x4.splat(invBc2Sqrt);
    const e = f32x4.splat(eps);
    const w = f32x4.splat(wd);
    const dc = f32x4.splat(decay);
    for (let i = 0; i < n; i += 4) {
      let pi = v128.load(G.at(p, i));
      let gi = v128.load(G.at(g, i));
      if (mode == 1) gi = f32x4.add(gi, f32x4.mul(w, pi)); // L2 added to the gradient (Adam)
      if (mode == 2) pi = f32x4.mul(pi, dc); // decoupled (AdamW)
      const mi = f32x4.add(f32x4.mul(b1, v128.load(G.at(m, i))), f32x4.mul(o1, gi));
      const vi = f32x4.add(f32x4.mul(b2, v128.load(G.at(v, i))), f32x4.mul(f32x4.mul(o2, gi), gi));
      v128.store(G.at(m, i), mi);
      v128.store(G.at(v, i), vi);
      const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vi), ib), e);
      v128.store(G.at(p, i), f32x4.sub(pi, f32x4.div(f32x4.mul(ss, mi), denom)));
    }
  }

  @inline static sgdRange(withWd: bool, mode: i32, nesterov: bool, p: usize, g: usize, buf: usize, n: i32, lr: f32, momentum: f32, omd: f32, wd: f32): void {
    const vlr = f32x4.splat(lr);
    const mom = f32x4.splat(momentum);
    const od = f32x4.splat(omd);
    const w = f32x4.splat(wd);
    for (let i = 0; i < n; i += 4) {
      const pp = G.at(p, i);
      let d = v128.load(G.at(g, i));
      if (withWd) d = f32x4.add(d, f32x4.mul(w, v128.load(pp)));
      if (mode != 0) {
        const b = mode == 1 ? d : f32x4.add(f32x4.mul(mom, v128.load(G.at(buf, i))), f32x4.mul(od, d));
        v128.store(G.at(buf, i), b);
        d = nesterov ? f32x4.add(d, f32x4.mul(mom, b)) : b;
      }
      v128.store(pp, f32x4.sub(v128.load(pp), f32x4.mul(vlr, d)));
    }
  }

  /** Two floats at ptr as f64x2. */
  @inline static load2(ptr: usize): v128 {
    return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
  }

  /** f64x2 rounded to two floats at ptr. */
  @inline static store2(ptr: usize, v: v128): void {
    v128.store64_lane(ptr, f32x4.demote_f64x2_zero(v), 0);
  }

  @inline static rmspropRange(
    withWd: bool,
    centered: bool,
    withMomentum: bool,
    p: usize,
    g: usize,
    sq: usize,
    gAvg: usize,
    buf: usize,
    n: i32,
    lr: f64,
    alpha: f64,
    eps: f64,
    wd: f64,
    momentum: f64,
  ): void {
    const a = f64x2.splat(alpha);
    const oma = f64x2.splat(1 - alpha);
    const w = f64x2.splat(wd);
    const e = f64x2.splat(eps);
    const vlr = f64x2.splat(lr);
    const mom = f64x2.splat(momentum);
    for (let i = 0; i < n; i += 2) {
      const pp = G.at(p, i);
      let d = O.load2(G.at(g, i));
      if (withWd) d = f64x2.add(d, f64x2.mul(w, O.load2(pp)));
      const s = f64x2.add(f64x2.mul(a, O.load2(G.at(sq, i))), f64x2.mul(f64x2.mul(oma, d), d));
      O.store2(G.at(sq, i), s);
      let avg = s;
      if (centered) {
        const ga = f64x2.add(f64x2.mul(a, O.load2(G.at(gAvg, i))), f64x2.mul(oma, d));
        O.store2(G.at(gAvg, i), ga);
        avg = f64x2.sub(s, f64x2.mul(ga, ga));
      }
      const q = f64x2.div(d, f64x2.add(f64x2.sqrt(avg), e));
      if (withMomentum) {
        const b = f64x2.add(f64x2.mul(mom, O.load2(G.at(buf, i))), q);
        O.store2(G.at(buf, i), b);
        O.store2(pp, f64x2.sub(O.load2(pp), f64x2.mul(vlr, b)));
      } else {
        O.store2(pp, f64x2.sub(O.load2(pp), f64x2.mul(vlr, q)));
      }
    }
  }
}

/**
 * One Adam / AdamW update of n parameters: m = β1·m + (1−β1)·g, v = β2·v + (1−β2)·g²,
 * p -= stepSize·m / (√v·invBc2Sqrt + eps). mode 0: no weight decay; 1: g += wd·p; 2: p *= decay.
 */
export function adam(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  beta1: f32,
  beta2: f32,
  omb1: f32,
  omb2: f32,
  stepSize: f32,
  invBc2Sqrt: f32,
  eps: f32,
  wd: f32,
  decay: f32,
  mode: i32,
): void {
  if (mode == 1) O.adamRange(1, p, g, m, v, n, beta1, beta2, omb1, omb2, stepSize, invBc2Sqrt, eps, wd, decay);
  else if (mode == 2) O.adamRange(2, p, g, m, v, n, beta1, beta2, omb1, omb2, stepSize, invBc2Sqrt, eps, wd, decay);
  else O.adamRange(0, p, g, m, v, n, beta1, beta2, omb1, omb2, stepSize, invBc2Sqrt, eps, wd, decay);
}

/**
 * One SGD update: g' = g + wd·p; with a buffer (buf ≠ 0), buf = g' on the first step, else
 * momentum·buf + (1 − dampening)·g', and the update is g' + momentum·buf (Nesterov) or buf; p -= lr·update.
 */
export function sgd(p: usize, g: usize, buf: usize, n: i32, lr: f32, momentum: f32, omd: f32, wd: f32, nesterov: bool, firstStep: bool): void {
  const mode = buf == 0 ? 0 : firstStep ? 1 : 2;
  if (wd != 0) {
    if (mode == 0) O.sgdRange(true, 0, false, p, g, buf, n, lr, momentum, omd, wd);
    else if (mode == 1 && nesterov) O.sgdRange(true, 1, true, p, g, buf, n, lr, momentum, omd, wd);
    else if (mode == 1) O.sgdRange(true, 1, false, p, g, buf, n, lr, momentum, omd, wd);
    else if (nesterov) O.sgdRange(true, 2, true, p, g, buf, n, lr, momentum, omd, wd);
    else O.sgdRange(true, 2, false, p, g, buf, n, lr, momentum, omd, wd);
  } else {
    if (mode == 0) O.sgdRange(false, 0, false, p, g, buf, n, lr, momentum, omd, wd);
    else if (mode == 1 && nesterov) O.sgdRange(false, 1, true, p, g, buf, n, lr, momentum, omd, wd);
    else if (mode == 1) O.sgdRange(false, 1, false, p, g, buf, n, lr, momentum, omd, wd);
    else if (nesterov) O.sgdRange(false, 2, true, p, g, buf, n, lr, momentum, omd, wd);
    else O.sgdRange(false, 2, false, p, g, buf, n, lr, momentum, omd, wd);
  }
}

/**
 * One RMSprop update: g' = g + wd·p; sq = α·sq + (1−α)·g'²; avg = sq, or sq − gAvg² with
 * gAvg = α·gAvg + (1−α)·g' (centered, gAvg ≠ 0); q = g'/(√avg + eps); with a buffer (buf ≠ 0)
 * buf = momentum·buf + q and p -= lr·buf, else p -= lr·q.
 */
export function rmsprop(p: usize, g: usize, sq: usize, gAvg: usize, buf: usize, n: i32, lr: f64, alpha: f64, eps: f64, wd: f64, momentum: f64): void {
  const centered = gAvg != 0;
  const withMomentum = buf != 0;
  if (wd != 0) {
    if (centered && withMomentum) O.rmspropRange(true, true, true, p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
    else if (centered) O.rmspropRange(true, true, false, p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
    else if (withMomentum) O.rmspropRange(true, false, true, p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
    else O.rmspropRange(true, false, false, p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
  } else {
    if (centered && withMomentum) O.rmspropRange(false, true, true, p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
    else if (centered) O.rmspropRange(false, true, false, p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
    else if (withMomentum) O.rmspropRange(false, false, true, p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
    else O.rmspropRange(false, false, false, p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
  }
}
