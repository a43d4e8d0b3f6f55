/**
 * Optimizer base (seed 003's Optim grown up): holds the parameters, `zeroGrad()` clears their
 * gradients, `step()` applies one update; per-parameter state ("slots") can be saved and restored
 * so a resumed run continues exactly.
 */
import type { Parameter } from '../nn/module.js';

/** A snapshot of an optimizer: its step count, learning rate and per-parameter slot arrays. */
export interface OptimizerState {
  readonly type: string;
  readonly step: number;
  readonly lr: number;
  /** slot name → one array per parameter (null where the slot is unused). */
  readonly slots: Readonly<Record<string, readonly (Float32Array | null)[]>>;
}

export function checkNonNegative(fn: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new RangeError(`${fn}: expected ${name} ≥ 0 (finite), got ${v}`);
}

export function checkUnit(fn: string, name: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new RangeError(`${fn}: expected 0 ≤ ${name} < 1, got ${v}`);
}

export abstract class Optimizer {
  readonly params: readonly Parameter[];
  /** Number of completed steps. */
  stepCount = 0;
  private lrValue: number;

  constructor(params: readonly Parameter[], lr: number) {
    const fn = `${this.constructor.name}`;
    if (!Array.isArray(params) || params.length === 0)
      throw new RangeError(`${fn}: expected a non-empty array of parameters, got ${Array.isArray(params) ? 'an empty array' : typeof params}`);
    if (new Set(params).size !== params.length) throw new RangeError(`${fn}: a parameter appears more than once`);
    this.params = Array.from<Parameter>(params);
    checkNonNegative(fn, 'lr', lr);
    this.lrValue = lr;
  }

  get lr(): number {
    return this.lrValue;
  }

  set lr(v: number) {
    checkNonNegative(`${this.constructor.name}.lr`, 'lr', v);
    this.lrValue = v;
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Applies one update from the accumulated gradients. */
  step(): void {
    this.stepCount++;
    for (let i = 0; i < this.params.length; i++) this.update(i, this.params[i]);
  }

  protected abstract update(index: number, p: Parameter): void;

  /** Names of the per-parameter slots (e.g. Adam: m, v). */
  protected abstract slotNames(): readonly string[];
  protected abstract slot(name: string, index: number): Float32Array | null;
  protected abstract setSlot(name: string, index: number, value: Float32Array | null): void;

  stateDict(): OptimizerState {
    const slots: Record<string, (Float32Array | null)[]> = {};
    for (const s of this.slotNames()) slots[s] = this.params.map((_, i) => this.slot(s, i)?.slice() ?? null);
    return { type: this.constructor.name, step: this.stepCount, lr: this.lr, slots };
  }

  loadStateDict(state: OptimizerState): void {
    const fn = `${this.constructor.name}.loadStateDict`;
    if (state.type !== this.constructor.name) throw new TypeError(`${fn}: expected state of a ${this.constructor.name}, got ${state.type}`);
    if (!Number.isInteger(state.step) || state.step < 0) throw new RangeError(`${fn}: expected a non-negative integer step, got ${state.step}`);
    for (const s of this.slotNames()) {
      const arrs = state.slots[s];
      if (arrs === undefined || arrs.length !== this.params.length) {
        throw new RangeError(`${fn}: expected slot "${s}" with ${this.params.length} arrays, got ${arrs === undefined ? 'none' : arrs.length}`);
      }
      arrs.forEach((a, i) => {
        if (a !== null && a.length !== this.params[i].size) {
          throw new RangeError(`${fn}: slot "${s}" array ${i} has ${a.length} values, expected ${this.params[i].size}`);
        }
      });
    }
    for (const s of this.slotNames()) state.slots[s].forEach((a, i) => this.setSlot(s, i, a === null ? null : a.slice()));
    this.stepCount = state.step;
    this.lr = state.lr;
  }
}
