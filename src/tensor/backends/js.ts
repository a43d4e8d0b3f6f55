/**
 * The pure TypeScript backend: the reference every other backend is tested against, and what runs
 * in a browser. Inner loops run over contiguous memory; GEMM accumulates rows in float64.
 */
import { argmin2Rows } from '../nearest-rows.js';
import { checkConvGemm, checkConvGeometry, checkMatmulPrecision } from '../backend.js';
import type { ActivationKind, AdamParams, Backend, BackendInfo, ConvGeometry, MatmulPrecision } from '../backend.js';

function act(kind: ActivationKind, v: number, slope: number): number {
  switch (kind) {
    case 'identity':
      return v;
    case 'relu':
      return v > 0 ? v : 0;
    case 'leaky_relu':
      return v > 0 ? v : slope * v;
    case 'tanh':
      return Math.tanh(v);
    case 'sigmoid':
      return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
  }
}

function actGrad(kind: ActivationKind, y: number, slope: number): number {
  switch (kind) {
    case 'identity':
      return 1;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'leaky_relu':
      return y > 0 ? 1 : slope;
    case 'tanh':
      return 1 - y * y;
    case 'sigmoid':
      return y * (1 - y);
  }
}

export class JsBackend implements Backend {
  readonly name = 'js' as const;
  private acc = new Float64Array(0);
  private rowsBuf = new Float32Array(0);
  /** nearest's scores when the caller passes no scratch. */
  private scoresBuf = new Float32Array(0);

  info(): BackendInfo {
    return { name: 'js', threads: 1, blasCore: null, matmulPrecision: 'float32' };
  }

  matmulPrecisionUnavailable(p: MatmulPrecision): string | null {
    checkMatmulPrecision(p);
    return p === 'float32' ? null : `the js backend multiplies in float32 only; '${p}' needs the native backend`;
  }

  setMatmulPrecision(p: MatmulPrecision): void {
    const why = this.matmulPrecisionUnavailable(p);
    if (why !== null) throw new Error(`setMatmulPrecision: ${why}`);
  }

  setThreads(n: number): void {
    // The reference backend is single-threaded; the count is only validated.
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: expected a positive integer thread count, got ${n}`);
  }

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    b: Float32Array,
    beta: number,
    c: Float32Array,
  ): void {
    if (this.acc.length < n) this.acc = new Float64Array(n);
    const acc = this.acc;
    if (!transB) {
      // C[i,:] = Σ_p op(A)[i,p] · B[p,:] — inner loop over a contiguous row of B.
      for (let i = 0; i < m; i++) {
        acc.fill(0, 0, n);
        for (let p = 0; p < k; p++) {
          const aip = transA ? a[p * m + i] : a[i * k + p];
          if (aip === 0) continue;
          const bo = p * n;
          for (let j = 0; j < n; j++) acc[j] += aip * b[bo + j];
        }
        const co = i * n;
        if (beta === 0) for (let j = 0; j < n; j++) c[co + j] = alpha * acc[j];
        else for (let j = 0; j < n; j++) c[co + j] = alpha * acc[j] + beta * c[co + j];
      }
      return;
    }
    // transB: B is n×k, so C[i,j] = op(A)[i,:] · B[j,:] — a contiguous dot product.
    let arow = new Float32Array(0);
    if (transA) arow = new Float32Array(k);
    for (let i = 0; i < m; i++) {
      let ao = i * k;
      let src = a;
      if (transA) {
        for (let p = 0; p < k; p++) arow[p] = a[p * m + i];
        ao = 0;
        src = arow;
      }
      const co = i * n;
      for (let j = 0; j < n; j++) {
        const bo = j * k;
        let s = 0;
        for (let p = 0; p < k; p++) s += src[ao + p] * b[bo + p];
        c[co + j] = beta === 0 ? alpha * s : alpha * s + beta * c[co + j];
      }
    }
  }

  biasActivation(kind: ActivationKind, y: Float32Array, bias: Float32Array | null, rows: number, cols: number, slope: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) y[o + c] = act(kind, y[o + c] + (bias === null ? 0 : bias[c]), slope);
    }
  }

  activation(kind: ActivationKind, x: Float32Array, out: Float32Array, n: number, slope: number): void {
    for (let i = 0; i < n; i++) out[i] = act(kind, x[i], slope);
  }

  activationBackward(kind: ActivationKind, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, slope: number): void {
    for (let i = 0; i < n; i++) dx[i] = dy[i] * actGrad(kind, y[i], slope);
  }

  colSum(a: Float32Array, rows: number, cols: number, out: Float32Array, accumulate: boolean): void {
    if (this.acc.length < cols) this.acc = new Float64Array(cols);
    const acc = this.acc;
    acc.fill(0, 0, cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      for (let c = 0; c < cols; c++) acc[c] += a[o + c];
    }
    for (let c = 0; c < cols; c++) out[c] = (accumulate ? out[c] : 0) + acc[c];
  }

  mse(y: Float32Array, t: Float32Array, grad: Float32Array | null, n: number, scale: number): number {
    let s = 0;
    const g = (2 * scale) / n;
    for (let i = 0; i < n; i++) {
      const d = y[i] - t[i];
      s += d * d;
      if (grad !== null) grad[i] = g * d;
    }
    return s / n;
  }

  bce(p: Float32Array, t: Float32Array, rows: number, cols: number, rowSums: Float64Array | null, grad: Float32Array | null, scale: number): number {
    let total = 0;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let i = r * cols; i < (r + 1) * cols; i++) {
        const pi = p[i];
        const ti = t[i];
        if (!(pi >= 0 && pi <= 1 && ti >= 0 && ti <= 1)) return NaN;
        s -= ti * Math.max(Math.log(pi), -100) + (1 - ti) * Math.max(Math.log(1 - pi), -100);
        if (grad !== null) grad[i] = (scale * (pi - ti)) / Math.max(pi * (1 - pi), 1e-12);
      }
      if (rowSums !== null) rowSums[r] = s;
      total += s;
    }
    return total;
  }

  softmax(logits: Float32Array, probs: Float32Array, rows: number, cols: number): void {
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) if (logits[o + c] > max) max = logits[o + c];
      let sum = 0;
      for (let c = 0; c < cols; c++) {
        const e = Math.exp(logits[o + c] - max);
        probs[o + c] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let c = 0; c < cols; c++) probs[o + c] *= inv;
    }
  }

  axpy(n: number, alpha: number, x: Float32Array, y: Float32Array): void {
    for (let i = 0; i < n; i++) y[i] += alpha * x[i];
  }

  scale(n: number, alpha: number, x: Float32Array): void {
    for (let i = 0; i < n; i++) x[i] *= alpha;
  }

  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, o: AdamParams): void {
    // Intermediates are rounded to float32 (fround) so the reference follows PyTorch's float32 arithmetic.
    const f = Math.fround;
    const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = o;
    const bc1 = 1 - Math.pow(beta1, step);
    const bc2 = 1 - Math.pow(beta2, step);
    const stepSize = lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    const decay = decoupled ? 1 - lr * weightDecay : 1;
    for (let i = 0; i < n; i++) {
      let gi = g[i];
      if (weightDecay !== 0 && !decoupled) gi = f(gi + f(weightDecay * p[i]));
      if (decoupled) p[i] *= decay;
      const mi = (m[i] = m[i] + f((1 - beta1) * f(gi - m[i])));
      const vi = (v[i] = f(beta2 * v[i]) + f((1 - beta2) * f(gi * gi)));
      const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps);
      p[i] = p[i] - f(stepSize * f(mi / denom));
    }
  }

  sgd(
    p: Float32Array,
    g: Float32Array,
    buf: Float32Array | null,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void {
    for (let i = 0; i < n; i++) {
      let d = g[i];
      if (weightDecay !== 0) d += weightDecay * p[i];
      if (momentum !== 0 && buf !== null) {
        const b = (buf[i] = firstStep ? d : momentum * buf[i] + (1 - dampening) * d);
        d = nesterov ? d + momentum * b : b;
      }
      p[i] -= lr * d;
    }
  }

  rmsprop(
    p: Float32Array,
    g: Float32Array,
    sq: Float32Array,
    gAvg: Float32Array | null,
    buf: Float32Array | null,
    n: number,
    lr: number,
    alpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
  ): void {
    // float32 rounding of intermediates as in PyTorch (centered RMSprop cancels s − ḡ², which amplifies rounding).
    const f = Math.fround;
    for (let i = 0; i < n; i++) {
      let d = g[i];
      if (weightDecay !== 0) d = f(d + f(weightDecay * p[i]));
      const s = (sq[i] = f(alpha * sq[i]) + f((1 - alpha) * f(d * d)));
      let avg = s;
      if (gAvg !== null) {
        const ga = (gAvg[i] = gAvg[i] + f((1 - alpha) * f(d - gAvg[i])));
        avg = f(s - f(ga * ga));
      }
      const denom = f(f(Math.sqrt(avg)) + eps);
      if (momentum > 0 && buf !== null) {
        const b = (buf[i] = f(momentum * buf[i]) + f(d / denom));
        p[i] -= f(lr * b);
      } else {
        p[i] -= f(lr * f(d / denom));
      }
    }
  }

  sqDistances(
    x: Float32Array,
    mProto: Float32Array,
    n: number,
    k: number,
    d: number,
    out: Float32Array,
    xNorm2: Float64Array | null = null,
    mNorm2: Float64Array | null = null,
  ): void {
    this.gemm(false, true, n, k, d, -2, x, mProto, 0, out);
    let mn = mNorm2;
    if (mn === null) {
      mn = new Float64Array(k);
      this.sqNorms(mProto, k, d, mn);
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      if (xNorm2 !== null) s = xNorm2[i];
      else for (let q = 0; q < d; q++) s += x[i * d + q] * x[i * d + q];
      const o = i * k;
      for (let j = 0; j < k; j++) {
        const v = out[o + j] + s + mn[j];
        out[o + j] = v > 0 ? v : 0;
      }
    }
  }

  sqNorms(x: Float32Array, n: number, d: number, out: Float64Array): void {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += x[i * d + q] * x[i * d + q];
      out[i] = s;
    }
  }

  sqDistancesRows(
    x: Float32Array,
    rows: Int32Array,
    m: number,
    mProto: Float32Array,
    k: number,
    d: number,
    out: Float32Array,
    xNorm2: Float64Array | null = null,
  ): void {
    // Gathered, then sqDistances: the js gemm computes each row on its own, so the result is the same.
    const rowsOfX = Math.min(d === 0 ? Infinity : Math.floor(x.length / d), xNorm2 === null ? Infinity : xNorm2.length);
    if (this.rowsBuf.length < m * d) this.rowsBuf = new Float32Array(m * d);
    const g = this.rowsBuf;
    const gn = xNorm2 === null ? null : new Float64Array(m);
    for (let t = 0; t < m; t++) {
      const r = rows[t];
      if (!(r >= 0 && r < rowsOfX))
        throw new RangeError(`sqDistancesRows: rows[${t}] is ${r}, outside the ${rowsOfX} rows of x${xNorm2 === null ? '' : ' and xNorm2'}`);
      g.set(x.subarray(r * d, r * d + d), t * d);
      if (gn !== null && xNorm2 !== null) gn[t] = xNorm2[r];
    }
    this.sqDistances(g, mProto, m, k, d, out, gn, null);
  }

  im2col(x: Float32Array, images: number, g: ConvGeometry, cols: Float32Array): void {
    checkConvGeometry('im2col', g, images, x.length, cols.length);
    const { channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
    let o = 0; // cols is written in order: image, (c, i, j) row, (oy, ox) column
    for (let b = 0; b < images; b++) {
      for (let c = 0; c < C; c++) {
        const plane = (b * C + c) * H * W;
        for (let i = 0; i < KH; i++) {
          for (let j = 0; j < KW; j++) {
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * g.strideH - g.padTop + i * g.dilationH;
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * g.strideW - g.padLeft + j * g.dilationW;
                cols[o++] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[plane + iy * W + ix] : 0;
              }
            }
          }
        }
      }
    }
  }

  col2im(cols: Float32Array, images: number, g: ConvGeometry, x: Float32Array, accumulate: boolean): void {
    checkConvGeometry('col2im', g, images, x.length, cols.length);
    const { channels: C, height: H, width: W, kernelH: KH, kernelW: KW, outH: OH, outW: OW } = g;
    // Summed in float64 per pixel, then rounded once (as the GEMM accumulates).
    const size = images * C * H * W;
    if (this.acc.length < size) this.acc = new Float64Array(size);
    const acc = this.acc;
    for (let p = 0; p < size; p++) acc[p] = accumulate ? x[p] : 0;
    let o = 0; // cols is read in the order im2col writes it
    for (let b = 0; b < images; b++) {
      for (let c = 0; c < C; c++) {
        const plane = (b * C + c) * H * W;
        for (let i = 0; i < KH; i++) {
          for (let j = 0; j < KW; j++) {
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * g.strideH - g.padTop + i * g.dilationH;
              for (let ox = 0; ox < OW; ox++, o++) {
                const ix = ox * g.strideW - g.padLeft + j * g.dilationW;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) acc[plane + iy * W + ix] += cols[o];
              }
            }
          }
        }
      }
    }
    for (let p = 0; p < size; p++) x[p] = acc[p];
  }

  /** Column matrix for one image (convGemm, convGemmBackward). */
  private cols = new Float32Array(0);

  private colsFor = (size: number): Float32Array => {
    if (this.cols.length < size) this.cols = new Float32Array(size);
    return this.cols.subarray(0, size);
  };

  convGemm(a: Float32Array, images: number, g: ConvGeometry, w: Float32Array, m: number, out: Float32Array, accumulate: boolean): void {
    convGemmPerImage(this, this.colsFor, a, images, g, w, m, out, accumulate);
  }

  convGemmBackward(
    a: Float32Array | null,
    d: Float32Array,
    images: number,
    g: ConvGeometry,
    w: Float32Array,
    m: number,
    dw: Float32Array | null,
    accumulateW: boolean,
    db: Float32Array | null,
    accumulateB: boolean,
    da: Float32Array | null,
    accumulateA: boolean,
  ): void {
    convGemmBackwardPerImage(this, this.colsFor, a, d, images, g, w, m, dw, accumulateW, db, accumulateB, da, accumulateA);
  }

  nearest(
    x: Float32Array,
    mProto: Float32Array,
    n: number,
    k: number,
    d: number,
    scratch: Float32Array | null,
    best: Int32Array,
    second: Int32Array | null,
  ): void {
    if (k < 1) throw new RangeError(`nearest: expected k ≥ 1, got ${k}`);
    const mn = new Float32Array(k);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += mProto[j * d + q] * mProto[j * d + q];
      mn[j] = s;
    }
    // Without the caller's scratch, the backend's own, kept between calls (findBmus calls once per chunk).
    if (scratch === null && this.scoresBuf.length < n * k) this.scoresBuf = new Float32Array(n * k);
    const scores = scratch ?? this.scoresBuf.subarray(0, n * k);
    for (let i = 0; i < n; i++) scores.set(mn, i * k);
    this.gemm(false, true, n, k, d, -2, x, mProto, 1, scores);
    argmin2Rows(scores, n, k, best, second);
  }
}

/**
 * Backend.convGemm written in a backend's im2col and gemm, one image at a time: the js backend's
 * implementation (the reference), and the native one's under matmul precision 'bfloat16' (its own
 * kernel calls float32 OpenBLAS). `cols` returns a scratch array of the size asked for.
 */
export function convGemmPerImage(
  be: Backend,
  cols: (size: number) => Float32Array,
  a: Float32Array,
  images: number,
  g: ConvGeometry,
  w: Float32Array,
  m: number,
  out: Float32Array,
  accumulate: boolean,
): void {
  checkConvGemm('convGemm', g, images, m, { a, w, out });
  const k = g.channels * g.kernelH * g.kernelW;
  const p = g.outH * g.outW;
  const image = g.channels * g.height * g.width;
  const c = cols(k * p);
  for (let b = 0; b < images; b++) {
    be.im2col(a.subarray(b * image, (b + 1) * image), 1, g, c);
    be.gemm(false, false, m, p, k, 1, w, c, accumulate ? 1 : 0, out.subarray(b * m * p, (b + 1) * m * p));
  }
}

/** Backend.convGemmBackward written in a backend's im2col, gemm and col2im, one image at a time (see convGemmPerImage). */
export function convGemmBackwardPerImage(
  be: Backend,
  cols: (size: number) => Float32Array,
  a: Float32Array | null,
  d: Float32Array,
  images: number,
  g: ConvGeometry,
  w: Float32Array,
  m: number,
  dw: Float32Array | null,
  accumulateW: boolean,
  db: Float32Array | null,
  accumulateB: boolean,
  da: Float32Array | null,
  accumulateA: boolean,
): void {
  checkConvGemm('convGemmBackward', g, images, m, { a, d, w, dw, db, da });
  if (dw !== null && a === null) throw new RangeError('convGemmBackward: the weight gradient needs a');
  const k = g.channels * g.kernelH * g.kernelW;
  const p = g.outH * g.outW;
  const image = g.channels * g.height * g.width;
  const c = cols(k * p);
  if (dw !== null && !accumulateW) dw.fill(0, 0, m * k);
  if (db !== null && !accumulateB) db.fill(0, 0, m);
  for (let b = 0; b < images; b++) {
    const dImage = d.subarray(b * m * p, (b + 1) * m * p);
    if (dw !== null && a !== null) {
      // dw += d_b · im2col(a_b)ᵀ
      be.im2col(a.subarray(b * image, (b + 1) * image), 1, g, c);
      be.gemm(false, true, m, k, p, 1, dImage, c, 1, dw);
    }
    if (db !== null) {
      for (let o = 0; o < m; o++) {
        let s = 0;
        for (let q = 0; q < p; q++) s += dImage[o * p + q];
        db[o] += s;
      }
    }
    if (da !== null) {
      // da_b (+)= col2im(wᵀ · d_b)
      be.gemm(true, false, k, p, m, 1, w, dImage, 0, c);
      be.col2im(c, 1, g, da.subarray(b * image, (b + 1) * image), accumulateA);
    }
  }
}
