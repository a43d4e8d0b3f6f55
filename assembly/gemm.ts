/* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- AssemblyScript: <usize>, <f64>, <f32> convert between wasm types that TypeScript sees as one number type */
// Single-precision GEMM, C = alpha·op(A)·op(B) + beta·C (row-major), in the BLIS / GotoBLAS
// scheme: op(B) is packed KC × NC at a time into strips NR = 8 columns wide, op(A) MC × KC at a
// time into strips MR = 4 rows high, and a 4 × 8 micro-kernel keeps its tile of C in eight f32x4
// registers while it runs over the packed k. Packing zero-pads the edge strips and absorbs the
// transposes, so the micro-kernel reads both panels contiguously in all four cases. Each entry of
// C is summed over k in the same order whatever m, n and the other rows are (alpha applied to
// each KC block's sum), so a row's result does not depend on which rows share the call, and
// `gemmTile` computes any rectangle of C exactly as the whole product does (the threads' split).
// Nothing is static: each call's scratch (packed panels, the edge tile) is in its `work`, so
// threads sharing the memory (kernels-mt.wasm) never share a buffer.
import { G } from './util';

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128;
const NC = 2048;

/** MC, the rows of one packed block of A, rounded up to whole strips. */
function blockRows(m: i32): i32 {
  return (min(m, MC) + MR - 1) & ~(MR - 1);
}

/**
 * Floats of scratch `gemm` needs for these sizes (`gemmTile`: the tile's rows and columns): the
 * packed block of A, the packed panel of B and a 4 × 8 tile for the edges of C.
 */
export function gemmWorkFloats(m: i32, n: i32, k: i32): i32 {
  const kc = min(k, KC);
  return kc * blockRows(m) + kc * ((min(n, NC) + NR - 1) & ~(NR - 1)) + MR * NR;
}

/**
 * C (m×n) = alpha · op(A) · op(B) + beta · C. op(A) is m×k (A stored k×m when transA), op(B) is
 * k×n (B stored n×k when transB). beta = 0 ignores C's previous contents, NaN included. `work`
 * holds gemmWorkFloats(m, n, k) floats.
 */
export function gemm(transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize, work: usize): void {
  gemmTile(transA, transB, m, n, k, alpha, a, b, beta, c, work, 0, m, 0, n);
}

/**
 * The rows i0 … i1−1 and columns j0 … j1−1 of `gemm`'s C, each entry computed as `gemm` computes
 * it; `work` holds gemmWorkFloats(i1 − i0, j1 − j0, k) floats.
 */
export function gemmTile(
  transA: bool,
  transB: bool,
  m: i32,
  n: i32,
  k: i32,
  alpha: f32,
  a: usize,
  b: usize,
  beta: f32,
  c: usize,
  work: usize,
  i0: i32,
  i1: i32,
  j0: i32,
  j1: i32,
): void {
  if (i1 <= i0 || j1 <= j0) return;
  if (k == 0) {
    for (let i = i0; i < i1; i++) scaleC(j1 - j0, beta, G.at(c, i * n + j0));
    return;
  }
  const tile = work;
  const packA = G.at(work, MR * NR);
  const packB = G.at(packA, min(k, KC) * blockRows(i1 - i0));
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packPanelB(transB, b, k, n, pc, jc, kc, nc, packB);
      const betaHere: f32 = pc == 0 ? beta : 1;
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        packBlockA(transA, a, m, k, ic, pc, mc, kc, packA);
        for (let jr = 0; jr < nc; jr += NR) {
          const pb = G.at(packB, jr * kc);
          for (let ir = 0; ir < mc; ir += MR) {
            kernel4x8(kc, G.at(packA, ir * kc), pb, G.at(c, (ic + ir) * n + jc + jr), n, alpha, betaHere, min(MR, mc - ir), min(NR, nc - jr), tile);
          }
        }
      }
    }
  }
}

/** C = beta·C over len entries (k = 0); beta = 0 writes zeros. */
function scaleC(len: i32, beta: f32, c: usize): void {
  if (beta == 0) {
    memory.fill(c, 0, (<usize>len) << 2);
    return;
  }
  for (let i = 0; i < len; i++) store<f32>(G.at(c, i), beta * load<f32>(G.at(c, i)));
}

/** Packs op(A)[ic : ic+mc, pc : pc+kc] into strips of MR rows, each kc × MR (column p's MR values together). */
function packBlockA(transA: bool, a: usize, m: i32, k: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const i0 = ic + ir;
    const strip = G.at(dst, ir * kc);
    if (rows == MR && transA) {
      // op(A)'s rows i0 … i0+3 at column p: four contiguous floats of A's row p
      for (let p = 0; p < kc; p++) v128.store(G.at(strip, p * MR), v128.load(G.at(a, (pc + p) * m + i0)));
    } else if (rows == MR) {
      // four rows of A, transposed 4 × 4 at a time
      const s0 = G.at(a, i0 * k + pc);
      const rs = (<usize>k) << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const o = (<usize>p) << 2;
        G.transposeStore(v128.load(s0 + o), v128.load(s0 + rs + o), v128.load(s0 + 2 * rs + o), v128.load(s0 + 3 * rs + o), G.at(strip, p * MR), MR * 4);
      }
      for (; p < kc; p++) {
        for (let i = 0; i < MR; i++) store<f32>(G.at(strip, p * MR + i), load<f32>(s0 + <usize>i * rs + ((<usize>p) << 2)));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < MR; i++) {
          let v: f32 = 0;
          if (i < rows) v = transA ? load<f32>(G.at(a, (pc + p) * m + i0 + i)) : load<f32>(G.at(a, (i0 + i) * k + pc + p));
          store<f32>(G.at(strip, p * MR + i), v);
        }
      }
    }
  }
}

/** Packs op(B)[pc : pc+kc, jc : jc+nc] into strips of NR columns, each kc × NR (row p's NR values together). */
function packPanelB(transB: bool, b: usize, k: i32, n: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const j0 = jc + jr;
    const strip = G.at(dst, jr * kc);
    if (cols == NR && !transB) {
      for (let p = 0; p < kc; p++) {
        const src = G.at(b, (pc + p) * n + j0);
        const d = G.at(strip, p * NR);
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
      }
    } else if (cols == NR) {
      // B's rows j0 … j0+7 (op(B)'s columns), transposed 4 × 4 at a time
      const rs = (<usize>k) << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        for (let h = 0; h < NR; h += 4) {
          const s = G.at(b, (j0 + h) * k + pc + p);
          G.transposeStore(v128.load(s), v128.load(s + rs), v128.load(s + 2 * rs), v128.load(s + 3 * rs), G.at(strip, p * NR + h), NR * 4);
        }
      }
      for (; p < kc; p++) {
        for (let j = 0; j < NR; j++) store<f32>(G.at(strip, p * NR + j), load<f32>(G.at(b, (j0 + j) * k + pc + p)));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) {
          let v: f32 = 0;
          if (j < cols) v = transB ? load<f32>(G.at(b, (j0 + j) * k + pc + p)) : load<f32>(G.at(b, (pc + p) * n + j0 + j));
          store<f32>(G.at(strip, p * NR + j), v);
        }
      }
    }
  }
}

/**
 * The 4 × 8 micro-kernel: acc = Σ_p pa[p, 0..3]ᵀ · pb[p, 0..7] over the packed strips, then
 * C = alpha·acc + beta·C on the mr × nr corner of the tile that lies inside C (ldc: C's row length);
 * `tile` (4 × 8 floats) holds an edge tile, whose rows or columns beyond C are computed, then dropped.
 */
function kernel4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, alpha: f32, beta: f32, mr: i32, nr: i32, tile: usize): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    pa += MR * 4;
    pb += NR * 4;
  }
  const va = f32x4.splat(alpha);
  if (mr == MR && nr == NR) {
    const rs = (<usize>ldc) << 2;
    G.storeRow(c, f32x4.mul(va, c00), f32x4.mul(va, c01), beta);
    G.storeRow(c + rs, f32x4.mul(va, c10), f32x4.mul(va, c11), beta);
    G.storeRow(c + 2 * rs, f32x4.mul(va, c20), f32x4.mul(va, c21), beta);
    G.storeRow(c + 3 * rs, f32x4.mul(va, c30), f32x4.mul(va, c31), beta);
    return;
  }
  v128.store(tile, f32x4.mul(va, c00));
  v128.store(tile, f32x4.mul(va, c01), 16);
  v128.store(tile, f32x4.mul(va, c10), 32);
  v128.store(tile, f32x4.mul(va, c11), 48);
  v128.store(tile, f32x4.mul(va, c20), 64);
  v128.store(tile, f32x4.mul(va, c21), 80);
  v128.store(tile, f32x4.mul(va, c30), 96);
  v128.store(tile, f32x4.mul(va, c31), 112);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const at = G.at(c, i * ldc + j);
      const v = load<f32>(G.at(tile, i * NR + j));
      store<f32>(at, beta == 0 ? v : v + beta * load<f32>(at));
    }
  }
}
