/**
 * "Draw your own input": a canvas to draw a digit on (or drop an image onto, or fill with one of the
 * run's own rows), the run's model run in the browser on it as the user draws (model.ts, loaded on
 * first use), and what it gives: the input as the model sees it, the prediction (with the class
 * probabilities of a classifier), the reconstruction of an autoencoder, the best-matching cell of a
 * map, and the signatures path. The page's probe carries the result to the other views: its point
 * in each projection, its path in the Sankey, its cell on the map.
 *
 * The model runs on the wasm backend, or on js where WebAssembly is unavailable (backend.ts); the
 * status line says which ("computed in your browser (wasm)").
 *
 * The section's element carries what tests read: data-state (idle, loading, ready, error),
 * data-prediction, data-bmu, data-path ("h1:3,h2:7"), data-points (JSON, by view key),
 * data-source (drawing, image, row:<i>) and data-backend (wasm, js); `window.__latentlab`'s
 * drawBackend(), drawProbe() and drawTiming(n) give the backend's choice, the last result in
 * full and the time of n passes.
 */
import { Rng } from '../../src/random.js';
import type { RunDetail } from '../../src/serve/types.js';
import { exposeDraw } from '../debug-hook.js';
import { h, replace } from '../dom.js';
import type { NpyArray } from '../npy.js';
import type { Probe, ProbeResult } from '../probe.js';
import { classNames, inputsOf } from '../scatter/inputs.js';
import { registerRunSection } from '../sections.js';
import type { DrawBackend } from './backend.js';
import { drawModelOf } from './load.js';
import type { DrawModel } from './model.js';
import { fitInk, inkOfRgba } from './preprocess.js';

/** The drawing canvas's side in pixels (ten times MNIST's). */
const SIDE = 280;
/** The pen's width: MNIST's strokes are 2–3 pixels wide at 28 × 28. */
const PEN = 22;

/** A canvas showing grey levels in [0, 1] as dark ink on white (the explorer's way of drawing inputs). */
export function greyCanvas(values: ArrayLike<number>, w: number, hgt: number, cls: string): HTMLCanvasElement {
  const c = h('canvas', { class: cls, width: w, height: hgt });
  const ctx = c.getContext('2d');
  if (ctx === null) return c;
  const img = ctx.createImageData(w, hgt);
  for (let i = 0; i < w * hgt; i++) {
    const v = Math.round(255 * (1 - Math.min(1, Math.max(0, values[i]))));
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

class DrawPanel {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly status: HTMLElement;
  private readonly out: HTMLElement;
  private readonly rowInput: HTMLInputElement;
  private model: Promise<DrawModel> | null = null;
  /** The backend the loaded model runs on (null until it is loaded). */
  private backend: DrawBackend | null = null;
  /** The input to run: the drawing's pixels, or a row's exact values until the user draws over it. */
  private exact: Float32Array | null = null;
  private source = 'drawing';
  private pen: { x: number; y: number } | null = null;
  private busy = false;
  private dirty = false;
  private frame = 0;
  private readonly name: (k: number) => string;
  /** The rows 'random row' picks: a seeded sequence, the same on every visit. */
  private readonly picks = new Rng(1);

  constructor(
    private readonly run: RunDetail,
    private readonly array: (name: string) => Promise<NpyArray>,
    private readonly probe: Probe,
    private readonly rows: number,
  ) {
    this.name = classNames(run);
    this.canvas = h('canvas', { class: 'draw-canvas', width: SIDE, height: SIDE, 'aria-label': 'drawing area: draw an input with the mouse or a finger' });
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;
    this.status = h(
      'p',
      { class: 'muted draw-status' },
      'Draw a digit in the box (or drop an image on it, or load one of the run’s rows): the model runs in this page as you draw.',
    );
    this.out = h('div', { class: 'draw-out' });
    this.rowInput = h('input', { type: 'number', min: 0, max: Math.max(0, rows - 1), value: 0, class: 'draw-row', 'aria-label': 'row' });
    const file = h('input', { type: 'file', accept: 'image/*', class: 'draw-file' });
    file.addEventListener('change', () => {
      const f = file.files?.[0];
      if (f !== undefined) void this.dropImage(f);
    });
    this.element = h(
      'div',
      { class: 'draw', 'data-state': 'idle' },
      h(
        'div',
        { class: 'draw-left' },
        this.canvas,
        h(
          'div',
          { class: 'draw-tools' },
          h('button', { type: 'button', class: 'small', 'data-draw': 'clear', onclick: () => this.clear() }, 'clear'),
          rows > 0
            ? [
                h('label', {}, ' row ', this.rowInput),
                h('button', { type: 'button', class: 'small', 'data-draw': 'row', onclick: () => void this.loadRow(Number(this.rowInput.value)) }, 'load row'),
                h('button', { type: 'button', class: 'small', 'data-draw': 'random', onclick: () => void this.loadRow(this.picks.int(rows)) }, 'random row'),
              ]
            : null,
          h('label', { class: 'small-file' }, ' image ', file),
        ),
      ),
      h('div', { class: 'draw-right' }, this.status, this.out),
    );
    this.clearCanvas();
    this.listen();
    exposeDraw(
      () => this.backend,
      probe,
      (n) => this.timeProbes(n),
    );
  }

  private clearCanvas(): void {
    this.ctx.fillStyle = '#ffffff';
    this.ctx.fillRect(0, 0, SIDE, SIDE);
  }

  private clear(): void {
    this.clearCanvas();
    this.exact = null;
    this.source = 'drawing';
    replace(this.out);
    this.element.dataset.state = this.model === null ? 'idle' : 'ready';
    for (const k of ['prediction', 'bmu', 'path', 'points', 'source']) delete this.element.dataset[k];
    this.probe.set(null);
  }

  private listen(): void {
    const at = (e: PointerEvent): { x: number; y: number } => {
      const r = this.canvas.getBoundingClientRect();
      return { x: ((e.clientX - r.left) * SIDE) / r.width, y: ((e.clientY - r.top) * SIDE) / r.height };
    };
    this.canvas.addEventListener('pointerdown', (e) => {
      this.canvas.setPointerCapture(e.pointerId);
      if (this.exact !== null) {
        // Drawing over a loaded row: from now on the canvas is the input.
        this.exact = null;
      }
      this.source = 'drawing';
      this.pen = at(e);
      this.stroke(this.pen, this.pen);
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (this.pen === null) return;
      const p = at(e);
      this.stroke(this.pen, p);
      this.pen = p;
    });
    const up = (): void => {
      this.pen = null;
    };
    this.canvas.addEventListener('pointerup', up);
    this.canvas.addEventListener('pointercancel', up);
    this.canvas.addEventListener('dragover', (e) => e.preventDefault());
    this.canvas.addEventListener('drop', (e) => {
      e.preventDefault();
      const f = e.dataTransfer?.files[0];
      if (f !== undefined) void this.dropImage(f);
    });
  }

  private stroke(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const c = this.ctx;
    c.strokeStyle = '#000000';
    c.lineWidth = PEN;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(a.x, a.y);
    c.lineTo(b.x + 0.01, b.y);
    c.stroke();
    this.schedule();
  }

  private async dropImage(f: File): Promise<void> {
    try {
      const bitmap = await createImageBitmap(f);
      this.clearCanvas();
      const k = Math.min(SIDE / bitmap.width, SIDE / bitmap.height);
      const w = bitmap.width * k;
      const hh = bitmap.height * k;
      // Drawn over white after its own ink is read: a light-background picture stays as it is.
      const tmp = new OffscreenCanvas(SIDE, SIDE);
      const t = tmp.getContext('2d') as OffscreenCanvasRenderingContext2D;
      t.drawImage(bitmap, (SIDE - w) / 2, (SIDE - hh) / 2, w, hh);
      const ink = inkOfRgba(t.getImageData(0, 0, SIDE, SIDE).data);
      const img = this.ctx.createImageData(SIDE, SIDE);
      for (let i = 0; i < ink.length; i++) {
        const v = Math.round(255 * (1 - ink[i]));
        img.data.set([v, v, v, 255], 4 * i);
      }
      this.ctx.putImageData(img, 0, 0);
      this.exact = null;
      this.source = 'image';
      this.schedule();
    } catch (e) {
      this.fail(new Error(`draw: cannot read ${f.name} as an image (${(e as Error).message})`));
    }
  }

  /** Fills the canvas with row `r` of the run and runs exactly its values (not a redrawing of them). */
  private async loadRow(r: number): Promise<void> {
    if (!Number.isInteger(r) || r < 0 || r >= this.rows) {
      this.fail(new Error(`draw: row ${r} is not a row of this run; expected an integer 0..${this.rows - 1}`));
      return;
    }
    this.rowInput.value = String(r);
    try {
      const inputs = inputsOf(this.run);
      const px = (await inputs.get([r])).get(r);
      if (px === undefined) throw new Error(`draw: no image for row ${r}`);
      const values = Float32Array.from(px, (v) => v / 255);
      const img = this.ctx.createImageData(SIDE, SIDE);
      const { w, h: hh } = inputs;
      for (let y = 0; y < SIDE; y++)
        for (let x = 0; x < SIDE; x++) {
          const v = Math.round(255 * (1 - values[Math.floor((y * hh) / SIDE) * w + Math.floor((x * w) / SIDE)]));
          img.data.set([v, v, v, 255], 4 * (y * SIDE + x));
        }
      this.ctx.putImageData(img, 0, 0);
      this.exact = values;
      this.source = `row:${r}`;
      this.schedule();
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** The mean time in ms of `n` forward passes of the current input, back to back (no projections). */
  private async timeProbes(n: number): Promise<number> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`drawTiming: expected a positive integer count, got ${n}`);
    const input = this.probe.current?.input;
    if (input === undefined) throw new Error('drawTiming: nothing to time; draw or load a row first');
    const model = await this.loadModel();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await model.infer(input, { place: false });
    return (performance.now() - t0) / n;
  }

  private fail(e: Error): void {
    this.element.dataset.state = 'error';
    replace(this.status, h('span', { class: 'error-text' }, e.message));
  }

  /** One inference per animation frame at most; a change during one runs another after it. */
  private schedule(): void {
    if (this.busy) {
      this.dirty = true;
      return;
    }
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      void this.infer();
    });
  }

  private loadModel(): Promise<DrawModel> {
    if (this.model === null) {
      this.element.dataset.state = 'loading';
      replace(this.status, 'Loading the model into the page…');
      this.model = drawModelOf(this.run, this.array);
      this.model.catch(() => (this.model = null));
    }
    return this.model;
  }

  private async infer(): Promise<void> {
    this.busy = true;
    try {
      const model = await this.loadModel();
      const [ih, iw] = model.info.imageShape;
      let input = this.exact;
      if (input === null) {
        const rgba = this.ctx.getImageData(0, 0, SIDE, SIDE).data;
        const ink = new Float32Array(SIDE * SIDE);
        for (let i = 0; i < ink.length; i++) ink[i] = 1 - rgba[4 * i] / 255;
        input = fitInk(ink, SIDE, SIDE, iw, ih);
      }
      if (input.length !== ih * iw) throw new Error(`draw: the row has ${input.length} values; the model reads ${ih} × ${iw} images`);
      const r = await model.infer(input);
      this.show(model, r);
      this.probe.set(r);
    } catch (e) {
      this.fail(e as Error);
    } finally {
      this.busy = false;
      if (this.dirty) {
        this.dirty = false;
        this.schedule();
      }
    }
  }

  private show(model: DrawModel, r: ProbeResult): void {
    const info = model.info;
    const [ih, iw] = info.imageShape;
    const ds = this.element.dataset;
    this.backend = info.backend;
    ds.state = 'ready';
    ds.source = this.source;
    ds.backend = info.backend.name;
    if (r.prediction !== null) ds.prediction = String(r.prediction);
    else delete ds.prediction;
    if (r.bmu !== null) ds.bmu = String(r.bmu);
    else delete ds.bmu;
    const path = info.pathLayers.filter((l) => r.clusters.has(l)).map((l) => `${l}:${r.clusters.get(l)}`);
    ds.path = path.join(',');
    ds.points = JSON.stringify(Object.fromEntries(r.points));
    const be = info.backend;
    replace(
      this.status,
      `${info.modelKind} model of run ${info.modelRun}, `,
      h(
        'strong',
        {
          class: 'draw-backend',
          title:
            be.fallback === null
              ? `the wasm backend: SIMD WebAssembly kernels (kernels.wasm, loaded in ${be.loadMs.toFixed(0)} ms)`
              : 'the js backend: the library’s plain TypeScript kernels',
        },
        `computed in your browser (${be.name}${be.fallback === null ? '' : `: ${be.fallback}`})`,
      ),
      `: forward ${r.timings.forward.toFixed(1)} ms`,
      info.placements.length > 0
        ? `, placed in ${info.placements.length} projection${info.placements.length > 1 ? 's' : ''} (UMAP’s transform) in ${r.timings.place.toFixed(1)} ms`
        : '',
      '.',
    );
    const byLabel =
      r.predictionBy === 'network'
        ? 'the network’s prediction'
        : r.predictionBy === 'cell majority'
          ? 'the majority class of its best-matching cell'
          : 'the majority class of its cluster in the last layer';
    replace(
      this.out,
      h('figure', { class: 'draw-figure' }, greyCanvas(r.input, iw, ih, 'input-image draw-image'), h('figcaption', {}, `input (${ih} × ${iw})`)),
      r.reconstruction !== null && r.reconstruction.length === ih * iw
        ? h(
            'figure',
            { class: 'draw-figure' },
            greyCanvas(r.reconstruction, iw, ih, 'input-image draw-image draw-recon'),
            h('figcaption', {}, info.modelKind === 'som' ? 'its cell’s prototype' : 'reconstruction'),
          )
        : null,
      h(
        'div',
        { class: 'draw-facts' },
        r.prediction !== null
          ? h('p', { class: 'draw-prediction' }, h('span', { class: 'draw-class' }, this.name(r.prediction)), h('span', { class: 'muted' }, ` ${byLabel}`))
          : null,
        r.probabilities !== null ? this.bars(r.probabilities) : null,
        r.bmu !== null ? h('p', {}, 'best-matching cell ', h('strong', { class: 'draw-bmu' }, String(r.bmu))) : null,
        path.length > 0
          ? h(
              'p',
              { class: 'draw-path' },
              'path: ',
              info.pathLayers
                .filter((l) => r.clusters.has(l))
                .map((l, i) => [i > 0 ? ' → ' : '', h('code', {}, `${l} ${l === 'map' ? 'cell' : 'c'}${r.clusters.get(l)}`)]),
              r.prediction !== null ? [' → ', h('code', {}, this.name(r.prediction))] : null,
            )
          : null,
      ),
    );
  }

  private bars(p: Float32Array): HTMLElement {
    return h(
      'div',
      { class: 'draw-bars', role: 'list' },
      Array.from(p, (v, k) => {
        const bar = h('span', { class: 'draw-bar' });
        // Through the CSSOM: the CSP refuses style attributes, not style properties set by script.
        bar.style.width = `${(100 * v).toFixed(1)}%`;
        return h(
          'div',
          { class: 'draw-bar-row', role: 'listitem', 'data-class': k },
          h('span', { class: 'draw-bar-name' }, this.name(k)),
          h('span', { class: 'draw-bar-track' }, bar),
          h('span', { class: 'draw-bar-value' }, v.toFixed(3)),
        );
      }),
    );
  }
}

/** The kinds whose model (or analysed model) runs in the browser. */
const DRAW_KINDS = ['signatures', 'mlp', 'cnn', 'ae', 'desom', 'som'];

registerRunSection({
  name: 'draw',
  title: 'Draw an input',
  kinds: DRAW_KINDS,
  render(ctx) {
    const run = ctx.run;
    if (run.status !== 'completed') return null;
    if (run.kind === 'signatures' && run.model_run === null) return null;
    const labels = run.arrays.find((a) => (a.name === 'labels' || a.name === 'test_labels') && a.shape !== null);
    return new DrawPanel(run, (n) => ctx.array(n), ctx.probe, labels?.shape?.[0] ?? 0).element;
  },
});
