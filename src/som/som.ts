/**
 * A self-organizing map (Kohonen; seed 000): a Topology and one prototype per cell, a K×d Tensor
 * the trainers (classic, batch, gradient) update in place. Serialises to JSON (`toJSON` /
 * `SOM.fromJSON`); `saveSom` / `loadSom` (som-file.ts) write the JSON spec plus a .npy array.
 */
import { Parameter } from '../nn/module.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import { findBmus } from './bmu.js';
import { initPrototypes, type InitOptions } from './init.js';
import { Topology, resolveTopology, type TopologyOptions, type TopologySpec } from './topology.js';

export const SOM_FORMAT = 'latentlab-som';
export const SOM_FORMAT_VERSION = 1;

/** The map without its prototype values (what som.json holds next to prototypes.npy). */
export interface SomSpec {
  readonly format: typeof SOM_FORMAT;
  readonly version: number;
  readonly topology: TopologySpec;
  /** Number of cells K (rows·cols). */
  readonly size: number;
  /** Prototype dimension d. */
  readonly dim: number;
}

/** A whole SOM as JSON: the spec and the K×d prototypes row-major (float32 values, exact round trip). */
export interface SomJSON extends SomSpec {
  readonly prototypes: number[];
}

/** Options of `SOM.create`: the map (defaults 8×8 rectangular Manhattan) and the initialisation. */
export interface SomCreateOptions extends TopologyOptions, InitOptions {}

export class SOM {
  readonly topology: Topology;
  /** Prototypes m_k, K×d (row k = cell k). */
  readonly prototypes: Tensor;
  private param: Parameter | null = null;

  constructor(topology: Topology, prototypes: Tensor) {
    expect2d('SOM', prototypes);
    if (prototypes.rows !== topology.size) {
      throw new RangeError(`SOM: expected ${topology.size} prototypes (${topology.rows}×${topology.cols} cells), got ${prototypes.rows}`);
    }
    if (prototypes.cols < 1) throw new RangeError(`SOM: expected prototypes of dimension ≥ 1, got ${prototypes.cols}`);
    this.topology = topology;
    this.prototypes = prototypes;
  }

  /** A map over data x, prototypes initialised by `init` ('samples' by default). */
  static create(x: Tensor, options: SomCreateOptions): SOM {
    const topology = new Topology(options);
    return new SOM(topology, initPrototypes(x, topology, options));
  }

  /** Number of cells K. */
  get size(): number {
    return this.topology.size;
  }

  /** Prototype dimension d. */
  get dim(): number {
    return this.prototypes.cols;
  }

  /** The prototypes as a Parameter (same memory) for an optimizer; one instance per SOM. */
  get parameter(): Parameter {
    this.param ??= new Parameter('prototypes', this.prototypes);
    return this.param;
  }

  /** Best-matching unit of each row of x: argminₖ ‖x − mₖ‖² (through GEMM). */
  bmus(x: Tensor): Int32Array {
    expect2d('SOM.bmus', x, this.dim);
    return findBmus(x, this.prototypes).bmu;
  }

  /** Best and second-best matching units of each row of x. */
  secondBmus(x: Tensor): { bmu: Int32Array; second: Int32Array } {
    expect2d('SOM.secondBmus', x, this.dim);
    const r = findBmus(x, this.prototypes, { second: true });
    return { bmu: r.bmu, second: r.second as Int32Array };
  }

  /** Each row of x replaced by its BMU's prototype (n×d). */
  quantize(x: Tensor): Tensor {
    const bmu = this.bmus(x);
    const d = this.dim;
    const out = new Float32Array(bmu.length * d);
    for (let i = 0; i < bmu.length; i++) out.set(this.prototypes.data.subarray(bmu[i] * d, (bmu[i] + 1) * d), i * d);
    return new Tensor(out, [bmu.length, d]);
  }

  /** A deep copy (same topology object, copied prototypes). */
  clone(): SOM {
    return new SOM(this.topology, this.prototypes.clone());
  }

  spec(): SomSpec {
    return { format: SOM_FORMAT, version: SOM_FORMAT_VERSION, topology: this.topology.spec(), size: this.size, dim: this.dim };
  }

  toJSON(): SomJSON {
    return { ...this.spec(), prototypes: Array.from(this.prototypes.data) };
  }

  /** Rebuilds a SOM from `toJSON()` output (validated, naming the bad field). */
  static fromJSON(json: unknown): SOM {
    const spec = checkSomSpec('SOM.fromJSON', json);
    const values = (json as { prototypes?: unknown }).prototypes;
    const need = spec.size * spec.dim;
    if (!Array.isArray(values) || values.length !== need || values.some((v) => typeof v !== 'number')) {
      throw new TypeError(`SOM.fromJSON: expected prototypes to be an array of ${need} numbers (${spec.size}×${spec.dim}), got ${describe(values)}`);
    }
    return new SOM(new Topology(spec.topology), Tensor.from(values as number[], [spec.size, spec.dim]));
  }
}

function describe(v: unknown): string {
  return Array.isArray(v) ? `an array of ${v.length}` : (JSON.stringify(v) ?? typeof v);
}

/** Validates the spec part of a saved SOM. */
export function checkSomSpec(fn: string, json: unknown): SomSpec {
  if (typeof json !== 'object' || json === null) throw new TypeError(`${fn}: expected an object, got ${describe(json)}`);
  const o = json as Record<string, unknown>;
  if (o.format !== SOM_FORMAT) throw new TypeError(`${fn}: expected format '${SOM_FORMAT}', got ${JSON.stringify(o.format)}`);
  if (o.version !== SOM_FORMAT_VERSION) throw new RangeError(`${fn}: expected version ${SOM_FORMAT_VERSION}, got ${JSON.stringify(o.version)}`);
  if (typeof o.topology !== 'object' || o.topology === null) throw new TypeError(`${fn}: expected a topology object, got ${describe(o.topology)}`);
  const t = o.topology as Record<string, unknown>;
  for (const k of ['rows', 'cols', 'topology', 'toroidal', 'distance'] as const) {
    if (t[k] === undefined) throw new TypeError(`${fn}: topology.${k} is missing`);
  }
  const topology = resolveTopology({
    rows: t.rows as number,
    cols: t.cols as number,
    topology: t.topology as TopologySpec['topology'],
    toroidal: t.toroidal as boolean,
    distance: t.distance as TopologySpec['distance'],
  });
  if (o.size !== topology.rows * topology.cols)
    throw new RangeError(`${fn}: expected size ${topology.rows * topology.cols} (rows·cols), got ${JSON.stringify(o.size)}`);
  if (!Number.isInteger(o.dim) || (o.dim as number) < 1) throw new RangeError(`${fn}: expected dim to be a positive integer, got ${JSON.stringify(o.dim)}`);
  return { format: SOM_FORMAT, version: SOM_FORMAT_VERSION, topology, size: o.size, dim: o.dim as number };
}
