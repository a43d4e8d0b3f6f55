/**
 * A dense float32 tensor: a row-major Float32Array and a shape. Deliberately small — the numeric
 * work lives in the Backend kernels; this class carries data between layers and checks shapes.
 */

export type Shape = readonly number[];

function checkShape(fn: string, shape: Shape): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${fn}: expected a shape of non-negative integers, got [${shape.join(', ')}]`);
    }
    size *= d;
  }
  return size;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;

  /** Wraps `data` (no copy); its length must equal the product of `shape`. */
  constructor(data: Float32Array, shape: Shape) {
    const size = checkShape('Tensor', shape);
    if (data.length !== size) {
      throw new RangeError(`Tensor: data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  static zeros(shape: Shape): Tensor {
    return new Tensor(new Float32Array(checkShape('Tensor.zeros', shape)), shape);
  }

  static full(shape: Shape, value: number): Tensor {
    return new Tensor(new Float32Array(checkShape('Tensor.full', shape)).fill(value), shape);
  }

  /** From a flat array of numbers (copied, rounded to float32). */
  static from(values: ArrayLike<number>, shape: Shape): Tensor {
    return new Tensor(Float32Array.from(values), shape);
  }

  /** From nested rows (n×d); all rows must have the same length. */
  static fromRows(rows: readonly (readonly number[])[]): Tensor {
    const n = rows.length;
    const d = n === 0 ? 0 : rows[0].length;
    const out = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      if (rows[i].length !== d) {
        throw new RangeError(`Tensor.fromRows: row ${i} has ${rows[i].length} values, expected ${d}`);
      }
      out.set(rows[i], i * d);
    }
    return new Tensor(out, [n, d]);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Number of rows of a 2-D tensor (the batch dimension). */
  get rows(): number {
    return this.shape[0];
  }

  /** Number of columns of a 2-D tensor (features). */
  get cols(): number {
    return this.shape.length === 2 ? this.shape[1] : this.data.length / (this.shape[0] || 1);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Same data, new shape (no copy). */
  reshape(shape: Shape): Tensor {
    return new Tensor(this.data, shape);
  }

  /** Rows [start, end) of a 2-D tensor as a view sharing memory. */
  sliceRows(start: number, end: number): Tensor {
    const c = this.cols;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > this.rows || start > end) {
      throw new RangeError(`Tensor.sliceRows: expected 0 ≤ start ≤ end ≤ ${this.rows}, got [${start}, ${end})`);
    }
    return new Tensor(this.data.subarray(start * c, end * c), [end - start, ...this.shape.slice(1)]);
  }

  /** Nested arrays (for tests and JSON). */
  toRows(): number[][] {
    const c = this.cols;
    const out: number[][] = [];
    for (let r = 0; r < this.rows; r++) out.push(Array.from(this.data.subarray(r * c, (r + 1) * c)));
    return out;
  }

  /** Index of the largest value in each row. */
  argmaxRows(): Int32Array {
    const c = this.cols;
    const out = new Int32Array(this.rows);
    for (let r = 0; r < this.rows; r++) {
      let best = 0;
      let bv = -Infinity;
      for (let j = 0; j < c; j++) {
        const v = this.data[r * c + j];
        if (v > bv) {
          bv = v;
          best = j;
        }
      }
      out[r] = best;
    }
    return out;
  }
}

/** Throws unless `t` is a 2-D tensor with `cols` columns (when given). */
export function expect2d(fn: string, t: Tensor, cols?: number, what = 'input features'): void {
  if (t.rank !== 2) throw new RangeError(`${fn}: expected a 2-D (batch × features) tensor, got shape [${t.shape.join(', ')}]`);
  if (cols !== undefined && t.shape[1] !== cols) throw new RangeError(`${fn}: expected ${cols} ${what}, got ${t.shape[1]}`);
}
