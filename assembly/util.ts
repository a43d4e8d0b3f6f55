/* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- AssemblyScript: <usize>, <f64>, <f32> convert between wasm types that TypeScript sees as one number type */
// Addressing and small vector helpers of the GEMM (inlined where used).

export class G {
  /** The address of element i of a float32 array at base (indices < 2³¹, addresses up to 4 GiB). */
  @inline static at(base: usize, i: i32): usize {
    return base + ((<usize>i) << 2);
  }

  /** The columns of the 4 × 4 block of rows r0 … r3, stored at dst, dst + stride, dst + 2·stride, dst + 3·stride (bytes). */
  @inline static transposeStore(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
    const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
    v128.store(dst + stride, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
    v128.store(dst + 2 * stride, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
    v128.store(dst + 3 * stride, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
  }

  /** One row of a full tile: C[0..7] = v0|v1 (beta 0), else v0|v1 + beta·C[0..7]. */
  @inline static storeRow(c: usize, v0: v128, v1: v128, beta: f32): void {
    if (beta == 0) {
      v128.store(c, v0);
      v128.store(c, v1, 16);
    } else {
      const vb = f32x4.splat(beta);
      v128.store(c, f32x4.add(v0, f32x4.mul(vb, v128.load(c))));
      v128.store(c, f32x4.add(v1, f32x4.mul(vb, v128.load(c, 16))), 16);
    }
  }
}
