/* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- AssemblyScript: <usize>, <f64>, <f32> convert between wasm types that TypeScript sees as one number type */
// The element-wise and row-wise kernels. Every array the loader copies in has room for a whole
// number of f32x4 (its length rounded up to 4 floats), so a kernel over one array runs whole
// vectors and may write that padding; a kernel over the rows of a matrix stores only the lanes of
// a row's tail (the next row follows), and a sum masks the lanes beyond the data.
import { G } from './util';
import { IDENTITY, LEAKY_RELU, RELU, SIGMOID, TANH, V } from './simd';

class E {
  /** x[i] = act(x[i]) over whole vectors. */
  @inline static actInPlace(kind: i32, x: usize, n: i32, slope: v128): void {
    for (let i = 0; i < n; i += 4) {
      const p = G.at(x, i);
      v128.store(p, V.act(kind, v128.load(p), slope));
    }
  }

  /** y[r, c] = act(y[r, c] + bias[c]) row by row. */
  @inline static biasRows(kind: i32, y: usize, bias: usize, rows: i32, cols: i32, slope: v128): void {
    for (let r = 0; r < rows; r++) {
      const row = G.at(y, r * cols);
      let c = 0;
      for (; c + 4 <= cols; c += 4) {
        const p = G.at(row, c);
        v128.store(p, V.act(kind, f32x4.add(v128.load(p), v128.load(G.at(bias, c))), slope));
      }
      if (c < cols) {
        const p = G.at(row, c);
        V.storeFirst(p, V.act(kind, f32x4.add(v128.load(p), v128.load(G.at(bias, c))), slope), cols - c);
      }
    }
  }

  /** dy[i] = dy[i] · act'(y[i]) over whole vectors. */
  @inline static backInPlace(kind: i32, y: usize, dy: usize, n: i32, slope: v128): void {
    for (let i = 0; i < n; i += 4) {
      const p = G.at(dy, i);
      v128.store(p, f32x4.mul(v128.load(p), V.actGrad(kind, v128.load(G.at(y, i)), slope)));
    }
  }

  /** Sum of the two f64 lanes of a and of b. */
  @inline static sum2(a: v128, b: v128): f64 {
    const s = f64x2.add(a, b);
    return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  }
}

/** x[i] = act(x[i]) for n elements, in place. */
export function activation(kind: i32, x: usize, n: i32, slope: f32): void {
  const s = f32x4.splat(slope);
  if (kind == RELU) E.actInPlace(RELU, x, n, s);
  else if (kind == LEAKY_RELU) E.actInPlace(LEAKY_RELU, x, n, s);
  else if (kind == TANH) E.actInPlace(TANH, x, n, s);
  else if (kind == SIGMOID) E.actInPlace(SIGMOID, x, n, s);
}

/** y[r, c] = act(y[r, c] + bias[c]) over a rows × cols matrix, in place; bias 0: no bias. */
export function biasActivation(kind: i32, y: usize, bias: usize, rows: i32, cols: i32, slope: f32): void {
  if (bias == 0) {
    activation(kind, y, rows * cols, slope);
    return;
  }
  const s = f32x4.splat(slope);
  if (kind == RELU) E.biasRows(RELU, y, bias, rows, cols, s);
  else if (kind == LEAKY_RELU) E.biasRows(LEAKY_RELU, y, bias, rows, cols, s);
  else if (kind == TANH) E.biasRows(TANH, y, bias, rows, cols, s);
  else if (kind == SIGMOID) E.biasRows(SIGMOID, y, bias, rows, cols, s);
  else E.biasRows(IDENTITY, y, bias, rows, cols, s);
}

/** dy[i] = dy[i] · act'(y[i]) for n elements, in place (the gradient through the output y). */
export function activationBackward(kind: i32, y: usize, dy: usize, n: i32, slope: f32): void {
  const s = f32x4.splat(slope);
  if (kind == RELU) E.backInPlace(RELU, y, dy, n, s);
  else if (kind == LEAKY_RELU) E.backInPlace(LEAKY_RELU, y, dy, n, s);
  else if (kind == TANH) E.backInPlace(TANH, y, dy, n, s);
  else if (kind == SIGMOID) E.backInPlace(SIGMOID, y, dy, n, s);
}

/**
 * out[c] = (accumulate ? out[c] : 0) + Σ_r a[r, c], summed in float64 into acc (cols rounded up
 * to 4 doubles) row by row, then rounded once.
 */
export function colSum(a: usize, rows: i32, cols: i32, out: usize, accumulate: bool, acc: usize): void {
  const cols4 = (cols + 3) & ~3;
  memory.fill(acc, 0, (<usize>cols4) << 3);
  for (let r = 0; r < rows; r++) {
    const row = G.at(a, r * cols);
    // lanes past the row's end read the next row (or the padding) into acc's slots past cols
    for (let c = 0; c < cols; c += 4) {
      const v = v128.load(G.at(row, c));
      const q = acc + ((<usize>c) << 3);
      v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v)));
      v128.store(q, f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(V.high(v))), 16);
    }
  }
  for (let c = 0; c < cols; c++) {
    const s = load<f64>(acc + ((<usize>c) << 3));
    const o = G.at(out, c);
    store<f32>(o, <f32>(accumulate ? <f64>load<f32>(o) + s : s));
  }
}

/** Σ (y − t)² / n in float64; when grad ≠ 0, grad[i] = scale · 2 (y − t) / n. */
export function mse(y: usize, t: usize, grad: usize, n: i32, scale: f64): f64 {
  const g = f64x2.splat((2 * scale) / <f64>n);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  for (let i = 0; i < n; i += 4) {
    let yv = v128.load(G.at(y, i));
    let tv = v128.load(G.at(t, i));
    if (i + 4 > n) {
      const mask = V.firstLanes(n - i);
      yv = v128.and(yv, mask);
      tv = v128.and(tv, mask);
    }
    const dLo = f64x2.sub(f64x2.promote_low_f32x4(yv), f64x2.promote_low_f32x4(tv));
    const dHi = f64x2.sub(f64x2.promote_low_f32x4(V.high(yv)), f64x2.promote_low_f32x4(V.high(tv)));
    s0 = f64x2.add(s0, f64x2.mul(dLo, dLo));
    s1 = f64x2.add(s1, f64x2.mul(dHi, dHi));
    if (grad != 0) {
      const lo = f32x4.demote_f64x2_zero(f64x2.mul(g, dLo));
      const hi = f32x4.demote_f64x2_zero(f64x2.mul(g, dHi));
      v128.store(G.at(grad, i), i32x4.shuffle(lo, hi, 0, 1, 4, 5));
    }
  }
  return E.sum2(s0, s1) / <f64>n;
}

/**
 * Binary cross-entropy as PyTorch (logs clamped at −100), in float64 as the js reference: each
 * row's −Σ [t·log p + (1 − t)·log(1 − p)] into rowSums (when ≠ 0), grad[i] = scale·(p − t) /
 * max(p(1 − p), 1e−12) (when ≠ 0); returns the total, or NaN when a p or t is outside [0, 1].
 * Plain wasm: the logarithm has no SIMD instruction, and this loss is never the hot part.
 */
export function bce(p: usize, t: usize, rows: i32, cols: i32, rowSums: usize, grad: usize, scale: f64): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    let s: f64 = 0;
    for (let i = r * cols; i < (r + 1) * cols; i++) {
      const pi = <f64>load<f32>(G.at(p, i));
      const ti = <f64>load<f32>(G.at(t, i));
      if (!(pi >= 0 && pi <= 1 && ti >= 0 && ti <= 1)) return NaN;
      s -= ti * max(Math.log(pi), -100.0) + (1 - ti) * max(Math.log(1 - pi), -100.0);
      if (grad != 0) store<f32>(G.at(grad, i), <f32>((scale * (pi - ti)) / max(pi * (1 - pi), 1e-12)));
    }
    if (rowSums != 0) store<f64>(rowSums + ((<usize>r) << 3), s);
    total += s;
  }
  return total;
}

/** Row-wise softmax of a rows × cols matrix, in place: e^{x − max} (max ignoring NaN), divided by the row's float64 sum. */
export function softmax(x: usize, rows: i32, cols: i32): void {
  const negInf = f32x4.splat(-Infinity);
  for (let r = 0; r < rows; r++) {
    const row = G.at(x, r * cols);
    let mv = negInf;
    for (let c = 0; c < cols; c += 4) {
      let v = v128.load(G.at(row, c));
      if (c + 4 > cols) v = v128.bitselect(v, negInf, V.firstLanes(cols - c));
      mv = f32x4.pmax(mv, v); // keeps mv where v is NaN
    }
    const m01 = max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)); // lanes are never NaN here
    const mx = max(m01, max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
    const vmx = f32x4.splat(mx);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (let c = 0; c < cols; c += 4) {
      const p = G.at(row, c);
      let e = V.exp(f32x4.sub(v128.load(p), vmx));
      if (c + 4 > cols) {
        e = v128.and(e, V.firstLanes(cols - c));
        V.storeFirst(p, e, cols - c);
      } else {
        v128.store(p, e);
      }
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(e));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(V.high(e)));
    }
    const inv = f32x4.splat(<f32>(1 / E.sum2(s0, s1)));
    for (let c = 0; c < cols; c += 4) {
      const p = G.at(row, c);
      V.storeFirst(p, f32x4.mul(v128.load(p), inv), cols - c);
    }
  }
}

/** y[i] += alpha · x[i]. */
export function axpy(n: i32, alpha: f32, x: usize, y: usize): void {
  const a = f32x4.splat(alpha);
  for (let i = 0; i < n; i += 4) {
    const p = G.at(y, i);
    v128.store(p, f32x4.add(v128.load(p), f32x4.mul(a, v128.load(G.at(x, i)))));
  }
}

/** x[i] *= alpha. */
export function scale(n: i32, alpha: f32, x: usize): void {
  const a = f32x4.splat(alpha);
  for (let i = 0; i < n; i += 4) {
    const p = G.at(x, i);
    v128.store(p, f32x4.mul(v128.load(p), a));
  }
}
