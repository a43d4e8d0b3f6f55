/**
 * Shape arithmetic of 2-D convolutions: the CNN practical's formulas (output size, parameter
 * count) with PyTorch's conventions, plus the small parsers the conv layers share.
 *
 * Along one axis of length n, a kernel of size k dilated by d (its taps d apart, so it spans
 * d·(k−1) + 1 inputs), moved by a stride s over the input zero-padded by p on each side, fits
 *
 *     ⌊(n + 2p − d·(k−1) − 1) / s⌋ + 1
 *
 * times: `convOutputSize`. A transposed convolution maps that many positions back to n (up to the
 * stride's rounding, which `outputPadding` settles): `convTransposeOutputSize`.
 */

/** A per-axis size: one number for both axes, or [height, width]. */
export type Size2 = number | readonly [number, number];

/** Padding on one axis: the same on both sides, or [before, after] (PyTorch's 'same' with an odd total). */
export type AxisPadding = number | readonly [number, number];

function checkInt(fn: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) {
    throw new RangeError(`${fn}: expected ${name} to be an integer ≥ ${min}, got ${v}`);
  }
}

function paddingPair(fn: string, padding: AxisPadding): [number, number] {
  if (typeof padding !== 'number' && (!Array.isArray(padding) || padding.length !== 2)) {
    throw new RangeError(`${fn}: expected padding to be a number or [before, after], got ${JSON.stringify(padding)}`);
  }
  const pair: [number, number] = typeof padding === 'number' ? [padding, padding] : [padding[0], padding[1]];
  checkInt(fn, 'padding', pair[0], 0);
  checkInt(fn, 'padding', pair[1], 0);
  return pair;
}

/**
 * Output length of a convolution along one axis: ⌊(n + 2p − d·(k−1) − 1)/s⌋ + 1, with p the
 * padding on each side, or (before, after) summed when `padding` is a pair. Throws when the
 * dilated kernel does not fit in the padded input (the output would be empty).
 *
 * Examples: n 28, k 5, p 0, s 1 → 24; n 28, k 3, p 1, s 2 → 14; n 9, k 3, p 0, s 2 → 4.
 */
export function convOutputSize(n: number, kernel: number, stride = 1, padding: AxisPadding = 0, dilation = 1): number {
  const fn = 'convOutputSize';
  checkInt(fn, 'the input size n', n, 1);
  checkInt(fn, 'kernel', kernel, 1);
  checkInt(fn, 'stride', stride, 1);
  checkInt(fn, 'dilation', dilation, 1);
  const [before, after] = paddingPair(fn, padding);
  const span = dilation * (kernel - 1) + 1;
  const padded = n + before + after;
  if (padded < span) {
    throw new RangeError(
      `${fn}: the kernel spans ${span} input${span === 1 ? '' : 's'} (dilation·(kernel−1) + 1 = ${dilation}·${kernel - 1} + 1) but the padded input has ${padded} (n + padding = ${n} + ${before + after}); expected n + padding ≥ ${span}`,
    );
  }
  return Math.floor((padded - span) / stride) + 1;
}

/**
 * Output length of a transposed convolution along one axis (PyTorch's ConvTranspose2d):
 * (n − 1)·s − 2p + d·(k − 1) + outputPadding + 1. It inverts `convOutputSize`: a convolution with
 * the same kernel, stride, padding and dilation maps that length back to n. Several lengths map to
 * the same n when s > 1; outputPadding (< s or < d, PyTorch's rule) picks which, adding rows at the
 * end. Throws when the padding removes everything.
 */
export function convTransposeOutputSize(n: number, kernel: number, stride = 1, padding = 0, outputPadding = 0, dilation = 1): number {
  const fn = 'convTransposeOutputSize';
  checkInt(fn, 'the input size n', n, 1);
  checkInt(fn, 'kernel', kernel, 1);
  checkInt(fn, 'stride', stride, 1);
  checkInt(fn, 'padding', padding, 0);
  checkInt(fn, 'outputPadding', outputPadding, 0);
  checkInt(fn, 'dilation', dilation, 1);
  if (outputPadding >= stride && outputPadding >= dilation) {
    throw new RangeError(
      `${fn}: expected outputPadding < stride or < dilation (PyTorch's rule), got outputPadding ${outputPadding} with stride ${stride}, dilation ${dilation}`,
    );
  }
  const out = (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;
  if (out < 1) {
    throw new RangeError(
      `${fn}: padding ${padding} removes the whole output ((n − 1)·s − 2p + d·(k − 1) + outputPadding + 1 = ${out}); expected padding ≤ ${Math.floor((out + 2 * padding - 1) / 2)}`,
    );
  }
  return out;
}

/**
 * Learnable scalars of a 2-D convolution: (k_h·k_w·C_in/groups)·C_out weights plus C_out biases,
 * i.e. the course's (k_h·k_w·C_in + 1)·C_out when groups = 1 and bias is on. The same count holds
 * for ConvTranspose2d(C_in, C_out, …) (weight [C_in, C_out/groups, k_h, k_w], C_out biases).
 */
export function conv2dParameterCount(cIn: number, cOut: number, kh: number, kw: number, bias = true, groups = 1): number {
  const fn = 'conv2dParameterCount';
  checkInt(fn, 'cIn', cIn, 1);
  checkInt(fn, 'cOut', cOut, 1);
  checkInt(fn, 'kh', kh, 1);
  checkInt(fn, 'kw', kw, 1);
  checkInt(fn, 'groups', groups, 1);
  if (cIn % groups !== 0 || cOut % groups !== 0) {
    throw new RangeError(`${fn}: expected groups to divide cIn and cOut, got groups ${groups} with cIn ${cIn}, cOut ${cOut}`);
  }
  return ((kh * kw * cIn) / groups) * cOut + (bias ? cOut : 0);
}

/**
 * PyTorch's padding='same' along one axis: the total d·(k − 1) split as [before, after] with
 * before = ⌊total/2⌋, so an odd total (an even kernel at odd dilation) puts the extra zero after
 * the last row or column, as PyTorch does. The layers support that asymmetric case. Only for
 * stride 1 (PyTorch refuses 'same' for strided convolutions: the output could not keep the size).
 */
export function samePadding(kernel: number, dilation = 1, stride = 1): [number, number] {
  const fn = 'samePadding';
  checkInt(fn, 'kernel', kernel, 1);
  checkInt(fn, 'dilation', dilation, 1);
  checkInt(fn, 'stride', stride, 1);
  if (stride !== 1) throw new RangeError(`${fn}: padding 'same' needs stride 1 (as PyTorch), got stride ${stride}`);
  const total = dilation * (kernel - 1);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** [height, width] from a Size2, each an integer ≥ min; `what` names the option in errors. */
export function size2(layer: string, what: string, v: Size2, min: number): [number, number] {
  const pair: [number, number] | null = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : null;
  if (pair === null || !pair.every((x) => Number.isInteger(x) && x >= min)) {
    throw new RangeError(`${layer}: expected ${what} to be an integer ≥ ${min} or [height, width] of them, got ${JSON.stringify(v)}`);
  }
  return pair;
}

/** "3×3", or "3×3, stride 2, padding 1" with the options that differ from the defaults. */
export function describeConv(
  kernel: readonly [number, number],
  options: {
    stride: readonly [number, number];
    padding: string;
    dilation: readonly [number, number];
    outputPadding?: readonly [number, number];
    bias: boolean;
  },
): string {
  const pair = (p: readonly [number, number]): string => (p[0] === p[1] ? `${p[0]}` : `(${p[0]}, ${p[1]})`);
  const parts = [`${kernel[0]}×${kernel[1]}`];
  if (options.stride[0] !== 1 || options.stride[1] !== 1) parts.push(`stride ${pair(options.stride)}`);
  if (options.padding !== '0') parts.push(`padding ${options.padding}`);
  if (options.outputPadding !== undefined && (options.outputPadding[0] !== 0 || options.outputPadding[1] !== 0)) {
    parts.push(`output padding ${pair(options.outputPadding)}`);
  }
  if (options.dilation[0] !== 1 || options.dilation[1] !== 1) parts.push(`dilation ${pair(options.dilation)}`);
  if (!options.bias) parts.push('no bias');
  return parts.join(', ');
}
