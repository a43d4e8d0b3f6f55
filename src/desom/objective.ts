/**
 * DESOM's objective on one minibatch, L = Lr + γ·Lsom, and its gradient (Algorithm 1 of seed 000;
 * see model.ts).
 */
import { MSELoss } from '../nn/mse.js';
import { NEGLIGIBLE_WEIGHT, NEIGHBORHOOD_KINDS, neighborhoodFunction, type NeighborhoodKind } from '../som/neighborhood.js';
import { argminRows, somLossBackward } from '../som/som-loss.js';
import { backend } from '../tensor/registry.js';
import { expect2d, type Tensor } from '../tensor/tensor.js';
import { DESOM_DEFAULTS, checkFinite, checkPositiveInt, oneOf, type DESOM } from './model.js';

// ---------------------------------------------------------------------------------------------
// One step's objective
// ---------------------------------------------------------------------------------------------

/** The loss terms of one minibatch. */
export interface DesomLoss {
  /** Lr + γ·Lsom. */
  readonly loss: number;
  /** Lr, the reconstruction MSE (mean over pixels and batch). */
  readonly lr: number;
  /** Lsom, mean over the batch of Σₖ wᵢₖ‖zᵢ − mₖ‖². */
  readonly lsom: number;
}

/**
 * L = Lr + γ·Lsom on one minibatch and its gradient, with every buffer allocated once (for batches
 * of up to maxRows rows). One encoder pass gives z; the squared distances D = ‖zᵢ − mₖ‖² computed
 * once (GEMM) give both the BMUs and Lsom, and with the fixed weights w:
 *   ∂L/∂x̂ = 2(x̂ − x)/(n·input),   ∂L/∂z = decoderᵀ(∂L/∂x̂) + γ·(2/n)(sᵢzᵢ − Σₖ wᵢₖmₖ),
 *   ∂L/∂mₖ = γ·(2/n)(tₖmₖ − Σᵢ wᵢₖzᵢ)   (sᵢ = Σₖ wᵢₖ, tₖ = Σᵢ wᵢₖ; somLossBackward).
 */
export class DesomObjective {
  readonly gamma: number;
  readonly neighborhood: NeighborhoodKind;
  readonly maxRows: number;
  /** BMUs of the last batch (first n entries). */
  readonly bmus: Int32Array;
  /** Assignment weights w of the last batch (n × K). */
  readonly weights: Float32Array;
  /** Squared latent distances of the last batch (n × K). */
  readonly distances: Float32Array;
  private readonly h: (d: number, T: number) => number;
  private readonly mse = new MSELoss();
  private readonly rowsCache: Float32Array;
  private readonly rowStamp: Int32Array;
  private stamp = 0;

  constructor(
    readonly model: DESOM,
    o: { maxRows: number; gamma?: number; neighborhood?: NeighborhoodKind },
  ) {
    const fn = 'DesomObjective';
    this.maxRows = checkPositiveInt(fn, 'maxRows', o.maxRows);
    this.gamma = checkFinite(fn, 'gamma', o.gamma ?? DESOM_DEFAULTS.gamma, 0);
    this.neighborhood = oneOf(fn, 'neighborhood', o.neighborhood ?? DESOM_DEFAULTS.neighborhood, NEIGHBORHOOD_KINDS);
    this.h = neighborhoodFunction(this.neighborhood);
    const K = model.size;
    this.bmus = new Int32Array(this.maxRows);
    this.weights = new Float32Array(this.maxRows * K);
    this.distances = new Float32Array(this.maxRows * K);
    this.rowsCache = new Float32Array(K * K);
    this.rowStamp = new Int32Array(K);
  }

  /**
   * Forward and backward on batch xb at temperature T: adds ∂L/∂θ into every parameter's gradient
   * (zero them first) and returns the loss terms. BMUs come from this forward pass unless `fixed`
   * gives them (n values: the updateInterval store, or a gradient check holding w fixed).
   */
  lossAndGradient(xb: Tensor, T: number, fixed?: Int32Array): DesomLoss {
    const fn = 'DesomObjective.lossAndGradient';
    const { model, gamma } = this;
    const K = model.size;
    const d = model.config.latent;
    const n = xb.rows;
    if (n < 1 || n > this.maxRows) throw new RangeError(`${fn}: expected between 1 and ${this.maxRows} rows, got ${n}`);
    expect2d(fn, xb, model.config.input);
    if (!(T > 0 && Number.isFinite(T))) throw new RangeError(`${fn}: expected a finite temperature T > 0, got ${T}`);
    if (fixed !== undefined && fixed.length < n) throw new RangeError(`${fn}: expected ${n} fixed BMUs, got ${fixed.length}`);
    const be = backend();
    const protos = model.som.prototypes.data;
    const z = model.ae.encoder.forward(xb);
    const dist = this.distances;
    be.sqDistances(z.data, protos, n, K, d, dist);
    const bmu = this.bmus;
    if (fixed === undefined) argminRows(dist, n, K, bmu);
    else
      for (let i = 0; i < n; i++) {
        const b = fixed[i];
        if (!(b >= 0 && b < K)) throw new RangeError(`${fn}: expected BMU indices in [0, ${K}), got ${b} at row ${i}`);
        bmu[i] = b;
      }
    this.fillWeights(n, T);
    const xhat = model.ae.decoder.forward(z);
    const lr = this.mse.forward(xhat, xb);
    const dz = model.ae.decoder.backward(this.mse.backward());
    const lsom = somLossBackward(z.data, protos, this.weights, dist, n, K, d, gamma, dz.data, model.som.parameter.grad.data);
    model.ae.encoder.backward(dz);
    return { loss: lr + gamma * lsom, lr, lsom };
  }

  /** w[i, ·] = h(δ(bmuᵢ, ·), T), each distinct BMU's row computed once; |h| < NEGLIGIBLE_WEIGHT stored as 0 (no denormals in the GEMMs). */
  private fillWeights(n: number, T: number): void {
    const K = this.model.size;
    const delta = this.model.topology.distances;
    const cache = this.rowsCache;
    const w = this.weights;
    const h = this.h;
    // A new stamp invalidates every cached row (T changes each step) without clearing.
    this.stamp = this.stamp === 0x7fffffff ? 1 : this.stamp + 1;
    if (this.stamp === 1) this.rowStamp.fill(0);
    for (let i = 0; i < n; i++) {
      const b = this.bmus[i];
      const o = b * K;
      if (this.rowStamp[b] !== this.stamp) {
        for (let k = 0; k < K; k++) {
          const v = h(delta[o + k], T);
          cache[o + k] = Math.abs(v) < NEGLIGIBLE_WEIGHT ? 0 : v;
        }
        this.rowStamp[b] = this.stamp;
      }
      const r = i * K;
      for (let k = 0; k < K; k++) w[r + k] = cache[o + k];
    }
  }
}
