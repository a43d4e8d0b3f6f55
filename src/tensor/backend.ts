/**
 * The Backend interface: the few numeric kernels every layer, loss and optimizer is written in.
 * All arrays are row-major Float32Array, passed without copying; outputs are written in place.
 * `js` is the reference implementation; `native` runs the same contract over OpenBLAS + C loops.
 */

/** Element-wise activations that have a fused kernel. Gradients are computed from the output y. */
export type ActivationKind = 'identity' | 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid';

/** Numeric codes shared with the native addon (keep in sync with native/latentlab.cc). */
export const ACTIVATION_CODE: Record<ActivationKind, number> = {
  identity: 0,
  relu: 1,
  leaky_relu: 2,
  tanh: 3,
  sigmoid: 4,
};

export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Weight decay coefficient; 0 disables it. */
  weightDecay: number;
  /** true: AdamW (decoupled, p -= lr·wd·p); false: L2 added to the gradient (PyTorch Adam). */
  decoupled: boolean;
  /** 1-based step count after this update, used for bias correction. */
  step: number;
}

/**
 * How `gemm` multiplies. 'float32': exactly as OpenBLAS / PyTorch's float32 matmul. 'bfloat16'
 * (native backend on a CPU with AVX512-BF16 only): both operands rounded to bfloat16, products
 * summed in float32 — about twice the speed of float32 on the large products of a training step,
 * at bfloat16's 8-bit mantissa (relative error about 2⁻⁹ per operand), like PyTorch's
 * `torch.set_float32_matmul_precision('medium')`. Nearest-prototype searches (`sqDistances`,
 * `nearest`) are always float32.
 */
export type MatmulPrecision = 'float32' | 'bfloat16';

export const MATMUL_PRECISIONS: readonly MatmulPrecision[] = ['float32', 'bfloat16'];

/** Throws unless p is a MatmulPrecision (for values that come from JS callers or configs). */
export function checkMatmulPrecision(p: unknown): asserts p is MatmulPrecision {
  if (!MATMUL_PRECISIONS.includes(p as MatmulPrecision)) {
    throw new RangeError(`setMatmulPrecision: expected ${MATMUL_PRECISIONS.map((x) => `'${x}'`).join(' or ')}, got ${JSON.stringify(p)}`);
  }
}

export interface BackendInfo {
  name: 'js' | 'native' | 'wasm';
  /** Threads the backend's GEMM uses. */
  threads: number;
  /** OpenBLAS kernel family in use (e.g. "SkylakeX"), or null for js and wasm. */
  blasCore: string | null;
  /** The precision gemm runs at now. */
  matmulPrecision: MatmulPrecision;
}

export interface Backend {
  readonly name: 'js' | 'native' | 'wasm';
  info(): BackendInfo;
  /** Sets the threads of GEMM and Adam (native: its worker threads, OpenBLAS single-threaded in each); js ignores it beyond recording. */
  setThreads(n: number): void;
  /** Why `setMatmulPrecision(p)` would be refused here, or null when it is available. */
  matmulPrecisionUnavailable(p: MatmulPrecision): string | null;
  /** Sets the precision of every later gemm (see MatmulPrecision); throws when unavailable. */
  setMatmulPrecision(p: MatmulPrecision): void;

  /**
   * C (m×n) = alpha · op(A) · op(B) + beta · C, all row-major.
   * op(A) is m×k: A is stored m×k, or k×m when transA. op(B) is k×n: B is k×n, or n×k when transB.
   * When beta is 0, C's previous contents are ignored (even NaN).
   */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, b: Float32Array, beta: number, c: Float32Array): void;

  /** In place over a rows×cols matrix: y[r,c] = act(y[r,c] + bias[c]); bias may be null. */
  biasActivation(kind: ActivationKind, y: Float32Array, bias: Float32Array | null, rows: number, cols: number, slope: number): void;

  /** out[i] = act(x[i]) for n elements (out may alias x). */
  activation(kind: ActivationKind, x: Float32Array, out: Float32Array, n: number, slope: number): void;

  /** dx[i] = dy[i] · act'(·) expressed through the activation's output y (dx may alias dy). */
  activationBackward(kind: ActivationKind, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, slope: number): void;

  /** out[c] = (accumulate ? out[c] : 0) + Σ_r a[r,c] over a rows×cols matrix (bias gradients). */
  colSum(a: Float32Array, rows: number, cols: number, out: Float32Array, accumulate: boolean): void;

  /**
   * Mean squared error over n elements, scaled: returns Σ (y−t)² / n, and when grad is not null
   * writes grad[i] = scale · 2 (y−t) / n (scale lets a caller weight the loss term).
   */
  mse(y: Float32Array, t: Float32Array, grad: Float32Array | null, n: number, scale: number): number;

  /**
   * Binary cross-entropy of probabilities p against targets t, rows × cols, as PyTorch (log terms
   * clamped at −100): writes each row's sum −Σ_c [t·log p + (1−t)·log(1−p)] into rowSums (when not
   * null), grad[i] = scale·(p−t)/max(p(1−p), 1e−12) (when not null), and returns the total. Returns
   * NaN, leaving the outputs unspecified, when a p or t is outside [0, 1] (the caller names it).
   */
  bce(p: Float32Array, t: Float32Array, rows: number, cols: number, rowSums: Float64Array | null, grad: Float32Array | null, scale: number): number;

  /**
   * Row-wise softmax of rows×cols logits into probs (probs may alias logits), numerically stable
   * (subtract the row max).
   */
  softmax(logits: Float32Array, probs: Float32Array, rows: number, cols: number): void;

  /** y[i] = alpha·x[i] + y[i]. */
  axpy(n: number, alpha: number, x: Float32Array, y: Float32Array): void;

  /** x[i] = alpha·x[i]. */
  scale(n: number, alpha: number, x: Float32Array): void;

  /** One Adam / AdamW update of n parameters, moments m and v updated in place (PyTorch's formula). */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, o: AdamParams): void;

  /**
   * One SGD update (PyTorch's formula): g' = g + wd·p; buf = momentum·buf + (1−dampening)·g'
   * (buf = g' on the first step, signalled by firstStep); update = nesterov ? g' + momentum·buf : buf
   * (or g' when momentum is 0, buf may then be null); p -= lr·update.
   */
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
  ): void;

  /**
   * One RMSprop update (PyTorch, non-centered unless centered): g' = g + wd·p;
   * sq = alpha·sq + (1−alpha)·g'²; avg = centered ? sq − gAvg² (gAvg = alpha·gAvg + (1−alpha)·g') : sq;
   * with momentum: buf = momentum·buf + g'/(√avg + eps), p -= lr·buf; else p -= lr·g'/(√avg + eps).
   */
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
  ): void;

  /**
   * Squared Euclidean distances between the rows of X (n×d) and of M (k×d) into D (n×k):
   * D = ‖x‖² − 2·X·Mᵀ + ‖m‖², clamped at 0. Goes through gemm. xNorm2 (n) and mNorm2 (k), when
   * given, are the rows' squared norms as `sqNorms` computes them, used instead of computing them
   * again (k-means reuses ‖x‖² over its iterations: recomputing it cost a quarter of each call).
   */
  sqDistances(
    x: Float32Array,
    mProto: Float32Array,
    n: number,
    k: number,
    d: number,
    out: Float32Array,
    xNorm2?: Float64Array | null,
    mNorm2?: Float64Array | null,
  ): void;

  /** ‖xᵢ‖² of each of the n rows of X (n×d), in float64: the norms `sqDistances` adds. */
  sqNorms(x: Float32Array, n: number, d: number, out: Float64Array): void;

  /**
   * `sqDistances` for the m rows of X (d wide, any number of rows) listed in `rows`, in that order,
   * without the caller copying them out: D[t, j] = ‖x_{rows[t]} − mⱼ‖² (m×k). xNorm2, when given,
   * holds the squared norm of every row of X (indexed by row). Throws on a row index outside X.
   * As with sqDistances over different row blocks, a row's distances may differ from another
   * call's in the last bit on the native backend (OpenBLAS computes a row by its place in a tile).
   */
  sqDistancesRows(
    x: Float32Array,
    rows: Int32Array,
    m: number,
    mProto: Float32Array,
    k: number,
    d: number,
    out: Float32Array,
    xNorm2?: Float64Array | null,
  ): void;

  /**
   * Index of the nearest row of M (k×d) for each row of X (n×d), and optionally the second
   * nearest (−1 when k = 1): argminⱼ (‖mⱼ‖² − 2·x·mⱼ), which has the argmin of ‖x − mⱼ‖² without
   * computing ‖x‖². scratch (n×k) receives those scores; null when the caller does not want them
   * (a backend that fuses the product and the argmin then never writes the n×k matrix). Ties go
   * to the lower index.
   */
  nearest(
    x: Float32Array,
    mProto: Float32Array,
    n: number,
    k: number,
    d: number,
    scratch: Float32Array | null,
    best: Int32Array,
    second: Int32Array | null,
  ): void;

  /**
   * im2col (PyTorch's `F.unfold`) of `images` NCHW images (g.channels × g.height × g.width each,
   * one after another in x) into `cols`: for each image b, a (channels·kernelH·kernelW) ×
   * (outH·outW) row-major matrix, image after image, whose entry
   *
   *     cols[b][(c·kernelH + i)·kernelW + j][oy·outW + ox] = x[b][c][iy][ix],
   *     iy = oy·strideH − padTop + i·dilationH,  ix = ox·strideW − padLeft + j·dilationW,
   *
   * and 0 where (iy, ix) falls outside the image (the zero padding). A convolution is then one GEMM
   * per image: y_b (outC × outH·outW) = W (outC × channels·kH·kW) · cols_b. Throws when x or cols is
   * too short for the geometry (see `checkConvGeometry`).
   */
  im2col(x: Float32Array, images: number, g: ConvGeometry, cols: Float32Array): void;

  /**
   * col2im (PyTorch's `F.fold`), the adjoint of `im2col`: every entry of cols (same layout) is added
   * to the pixel im2col reads it from, entries that im2col sets to 0 (padding) are dropped:
   * x[b][c][iy][ix] = (accumulate ? x[b][c][iy][ix] : 0) + Σ cols[b][(c·kH + i)·kW + j][oy·outW + ox]
   * over the (i, j, oy, ox) that read (iy, ix). It turns the GEMM's column gradient into a
   * convolution's input gradient, and is a transposed convolution's forward pass.
   */
  col2im(cols: Float32Array, images: number, g: ConvGeometry, x: Float32Array, accumulate: boolean): void;

  /**
   * A convolution's GEMMs over im2col for `images` images at once (a: images × channels × height ×
   * width, NCHW): with K = channels·kernelH·kernelW and P = outH·outW,
   *
   *     out_b (m × P) = w (m × K) · im2col(a_b) + (accumulate ? out_b : 0)
   *
   * Conv2d's forward (w its weight, m its output channels; out pre-filled with the bias and
   * accumulated), and ConvTranspose2d's input gradient. The js backend loops over the images with
   * `im2col` and `gemm` (js.ts's convGemmPerImage, the reference); the native one deals whole images
   * to its threads, or runs that loop over its `gemm` under matmul precision 'bfloat16'.
   */
  convGemm(a: Float32Array, images: number, g: ConvGeometry, w: Float32Array, m: number, out: Float32Array, accumulate: boolean): void;

  /**
   * The gradients of `convGemm` for an upstream gradient d (images × m × P), each computed when its
   * output is not null:
   *
   *     dw (m × K) = (accumulateW ? dw : 0) + Σ_b d_b · im2col(a_b)ᵀ        (a needed only for dw)
   *     db (m)     = (accumulateB ? db : 0) + Σ_b Σ_p d_b[·, p]
   *     da_b       = (accumulateA ? da_b : 0) + col2im(wᵀ · d_b)
   *
   * Conv2d's backward. ConvTranspose2d's forward is `da` alone (d its input, bias pre-filled and
   * accumulated), its weight gradient `dw` with a = its output gradient and d = its input. Sums over
   * the images may be taken in any fixed order (the native backend: blocks of images, whatever the
   * thread count, so its results do not depend on it).
   */
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
  ): void;

  /**
   * Optional: one epoch of UMAP's layout (src/viz/umap.ts's layoutEpoch, whose TypeScript is the
   * reference and runs when a backend has none), updating y, nextSample, nextNeg and seed in place.
   */
  umapLayoutEpoch?(s: UmapEpochState, epoch: number, alpha: number): void;
}

/** What a UMAP layout epoch reads and updates (see src/viz/umap.ts). */
export interface UmapEpochState {
  readonly y: Float32Array;
  readonly n: number;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly period: Float64Array;
  readonly negPeriod: Float64Array;
  readonly nextSample: Float64Array;
  readonly nextNeg: Float64Array;
  readonly a: number;
  readonly b: number;
  readonly attraction: Float64Array;
  readonly repulsion: Float64Array;
  /** xorshift128 state for the negative samples (4 words). */
  readonly seed: Int32Array;
}

/**
 * The geometry of a 2-D convolution for `im2col` / `col2im`: images of channels × height × width
 * (NCHW), a kernelH × kernelW kernel moved by (strideH, strideW) with taps (dilationH, dilationW)
 * apart, padTop rows and padLeft columns of zeros before the image, and an outH × outW grid of
 * kernel positions. The padding after the image is whatever outH / outW imply, so PyTorch's
 * asymmetric 'same' padding and a transposed convolution's output padding need no further field.
 */
export interface ConvGeometry {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly outH: number;
  readonly outW: number;
}

/** The ConvGeometry fields in the order the native addon receives them. */
export const CONV_GEOMETRY_FIELDS = [
  'channels',
  'height',
  'width',
  'kernelH',
  'kernelW',
  'strideH',
  'strideW',
  'padTop',
  'padLeft',
  'dilationH',
  'dilationW',
  'outH',
  'outW',
] as const satisfies readonly (keyof ConvGeometry)[];

/**
 * Throws unless g is a valid geometry (integer sizes ≥ 0, kernel, stride and dilation ≥ 1, pads
 * ≥ 0, all below 2³¹) and x / cols hold at least `images` images and column matrices.
 */
export function checkConvGeometry(fn: string, g: ConvGeometry, images: number, xLength: number, colsLength: number): void {
  if (!Number.isInteger(images) || images < 0) throw new RangeError(`${fn}: expected images to be a non-negative integer, got ${images}`);
  for (const f of CONV_GEOMETRY_FIELDS) {
    const min = f.startsWith('kernel') || f.startsWith('stride') || f.startsWith('dilation') ? 1 : 0;
    const v = g[f];
    if (!Number.isInteger(v) || v < min || v > 0x7fffffff) throw new RangeError(`${fn}: expected geometry.${f} to be an integer ≥ ${min}, got ${v}`);
  }
  const image = g.channels * g.height * g.width;
  const matrix = g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
  if (xLength < images * image) {
    throw new RangeError(`${fn}: the images hold ${xLength} values, expected at least ${images}·${g.channels}·${g.height}·${g.width} = ${images * image}`);
  }
  if (colsLength < images * matrix) {
    throw new RangeError(
      `${fn}: the columns hold ${colsLength} values, expected at least ${images}·(${g.channels}·${g.kernelH}·${g.kernelW})·(${g.outH}·${g.outW}) = ${images * matrix}`,
    );
  }
}

/** Throws unless the operands of `convGemm` / `convGemmBackward` are long enough for the geometry. */
export function checkConvGemm(
  fn: string,
  g: ConvGeometry,
  images: number,
  m: number,
  operands: {
    a?: Float32Array | null;
    d?: Float32Array;
    w: Float32Array;
    out?: Float32Array;
    dw?: Float32Array | null;
    db?: Float32Array | null;
    da?: Float32Array | null;
  },
): void {
  checkConvGeometry(fn, g, images, operands.a?.length ?? Infinity, Infinity);
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`${fn}: expected m to be a positive integer, got ${m}`);
  const k = g.channels * g.kernelH * g.kernelW;
  const image = g.channels * g.height * g.width;
  const rows = images * m * g.outH * g.outW;
  const need: [string, Float32Array | null | undefined, number][] = [
    ['w', operands.w, m * k],
    ['d', operands.d, rows],
    ['out', operands.out, rows],
    ['dw', operands.dw, m * k],
    ['db', operands.db, m],
    ['da', operands.da, images * image],
  ];
  for (const [name, arr, n] of need) {
    if (arr !== null && arr !== undefined && arr.length < n) throw new RangeError(`${fn}: ${name} holds ${arr.length} values, expected at least ${n}`);
  }
}
