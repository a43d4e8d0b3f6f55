/**
 * Sequential: runs modules in order forward and in reverse order backward (seed 003 §3).
 * A Linear followed by an element-wise activation is computed in one fused pass (GEMM, then
 * bias + activation over the output while it is hot in cache); results are identical.
 */
import type { Shape } from '../tensor/tensor.js';
import { Tensor } from '../tensor/tensor.js';
import { ElementwiseActivation } from './activation.js';
import { Linear } from './linear.js';
import { Module, type Buffer, type Parameter } from './module.js';

export interface SequentialOptions {
  /** Fuse Linear → activation pairs (default true). */
  fuse?: boolean;
}

export class Sequential extends Module {
  readonly modules: readonly Module[];
  readonly fuse: boolean;

  constructor(modules: readonly Module[], options: SequentialOptions = {}) {
    super();
    if (!Array.isArray(modules)) throw new TypeError(`Sequential: expected an array of modules, got ${typeof modules}`);
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: element ${i} is not a Module (got ${String(m)})`);
    });
    this.modules = Array.from<Module>(modules);
    this.fuse = options.fuse ?? true;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    const ms = this.modules;
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i];
      const next = ms[i + 1];
      if (this.fuse && m instanceof Linear && next instanceof ElementwiseActivation) {
        h = next.adoptOutput(m.forward(h, { kind: next.kind, slope: next.slope }));
        i++;
      } else {
        h = m.forward(h);
      }
    }
    return h;
  }

  backward(dy: Tensor): Tensor {
    let g = dy;
    for (let i = this.modules.length - 1; i >= 0; i--) {
      g = this.modules[i].backward(g);
      // A layer built with inputGrad false (a network's first weighted layer) answers an empty
      // gradient: what lies before it (an Unflatten of the input rows) has nothing to learn.
      if (g.shape[0] === 0 && dy.shape[0] !== 0) return g;
    }
    return g;
  }

  /** Runs forward in eval mode over a whole dataset in batches and returns a fresh tensor. */
  predict(x: Tensor, batchSize = 1024): Tensor {
    const wasTraining = this.training;
    this.eval();
    try {
      let out: Tensor | null = null;
      for (let s = 0; s < x.rows; s += batchSize) {
        const y = this.forward(x.sliceRows(s, Math.min(x.rows, s + batchSize)));
        out ??= Tensor.zeros([x.rows, y.cols]);
        out.data.set(y.data, s * y.cols);
      }
      return out ?? Tensor.zeros([0, 0]);
    } finally {
      this.train(wasTraining);
    }
  }

  children(): Module[] {
    return [...this.modules];
  }

  parameters(): Parameter[] {
    return this.modules.flatMap((m) => m.parameters());
  }

  buffers(): Buffer[] {
    return this.modules.flatMap((m) => m.buffers());
  }

  namedParameters(prefix = ''): Map<string, Parameter> {
    const out = new Map<string, Parameter>();
    this.modules.forEach((m, i) => {
      for (const [k, p] of m.namedParameters(`${prefix}${i}.`)) out.set(k, p);
    });
    return out;
  }

  namedBuffers(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    this.modules.forEach((m, i) => {
      for (const [k, b] of m.namedBuffers(`${prefix}${i}.`)) out.set(k, b);
    });
    return out;
  }

  outputShape(input: Shape): Shape {
    return this.modules.reduce((s, m) => m.outputShape(s), input);
  }

  toString(): string {
    return `Sequential(\n${this.modules.map((m, i) => `  (${i}) ${m.toString()}`).join('\n')}\n)`;
  }
}
