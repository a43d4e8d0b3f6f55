/**
 * The page's probe: an input the user drew (or dropped, or picked from the dataset), run through the
 * run's model in the browser (draw/model.ts), and what it gives — its cluster in each layer, its
 * prediction, its best-matching cell, its reconstruction and its place in each projection. The
 * views show it as they show the selection: the scatter marks its point, the Sankey lights its
 * path, the map marks its cell. `null` when nothing is drawn.
 */

export interface ProbeResult {
  /** The input as the model saw it: h × w grey levels in [0, 1], row-major. */
  input: Float32Array;
  /** Its outputs at each captured layer, by the layer's name ('code' for an autoencoder's code). */
  activations: Map<string, Float32Array>;
  /** Its cluster in each analysed layer of a signatures run (a map layer: its cell), by layer name. */
  clusters: Map<string, number>;
  /** The class it is given, and by what: the network's output, or the majority class of its cluster or cell. */
  prediction: number | null;
  predictionBy: 'network' | 'cluster majority' | 'cell majority' | null;
  /** The network's class probabilities (softmax of its output), when it predicts. */
  probabilities: Float32Array | null;
  /** Its best-matching cell on the map (a DESOM, or a signatures run's map layer). */
  bmu: number | null;
  /** The autoencoder's reconstruction (h × w), when the model has a decoder. */
  reconstruction: Float32Array | null;
  /** Where it lands in each scatter view, by the view's key (umap_<layer>, codes_umap, latent_umap, …). */
  points: Map<string, [number, number]>;
  /** Milliseconds spent in the model's forward pass and in placing it in the projections. */
  timings: { forward: number; place: number };
}

export class Probe {
  private value: ProbeResult | null = null;
  private readonly listeners = new Set<(r: ProbeResult | null) => void>();

  get current(): ProbeResult | null {
    return this.value;
  }

  set(r: ProbeResult | null): void {
    this.value = r;
    for (const f of this.listeners) f(r);
  }

  /** Calls `f` at each change; returns what stops it. */
  subscribe(f: (r: ProbeResult | null) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }
}
