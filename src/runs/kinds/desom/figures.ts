/**
 * Figures of a DESOM run, from the run's own model, arrays and events.jsonl: the SOM figures of
 * src/viz/som-figures.ts with the prototypes decoded to images (prototypes.png is seed 000's
 * Figure 3), a gallery of the samples each cell wins (cell-samples.png), reconstructions, and the
 * curves over training, all from iteration 0 — Lr and Lsom (loss.svg), the temperature T
 * (temperature.svg), purity and NMI (metrics.svg), QE (qe.svg) and TE on its own axis (te.svg)
 * measured on the evaluation sample.
 */
import type { DESOM } from '../../../desom/model.js';
import type { Rng } from '../../../random.js';
import { Tensor } from '../../../tensor/tensor.js';
import { lineChartSvg, type Series } from '../../../viz/charts.js';
import { mapGrid } from '../../../viz/image-grid.js';
import { encodePng } from '../../../viz/png.js';
import { gridIndices, reconstructionPng } from '../../../viz/ae-figures.js';
import { cellMosaics, somFigures, teFigure, type FigureFile } from '../../../viz/som-figures.js';
import { evalCurve } from '../som/figures.js';

export interface DesomFigureOptions {
  model: DESOM;
  /** The rows the model was trained on (raw features). */
  x: Tensor;
  /** BMU of each row of x. */
  bmus: Int32Array;
  labels: Int32Array;
  classNames: readonly string[];
  imageShape: readonly [number, number] | null;
  /** The run's events.jsonl records. */
  events: readonly Record<string, unknown>[];
  /** Which rows, for titles (e.g. "mnist all"). */
  dataName: string;
  /** Rows of the periodic evaluation sample (captions). */
  evalRows: number;
  /** Picks the samples shown per cell. */
  rng: Rng;
  /** Samples per cell side in the gallery (default 3: a 3×3 mosaic per cell). */
  gallerySide?: number;
  /** The temperature at iteration 0 (the config's t_max): the T curve starts there. */
  tMax?: number;
}

/** Points (iteration, value) of events of `type` for each key, the last record per iteration winning (a resumed run repeats some). */
function curves(events: readonly Record<string, unknown>[], type: string, keys: readonly string[]): { x: number[]; y: Record<string, number[]> } {
  const byIt = new Map<number, Record<string, unknown>>();
  for (const e of events) if (e.type === type && typeof e.iteration === 'number') byIt.set(e.iteration, e);
  const x = [...byIt.keys()].sort((a, b) => a - b);
  const y: Record<string, number[]> = {};
  for (const k of keys) y[k] = x.map((i) => (typeof byIt.get(i)![k] === 'number' ? (byIt.get(i)![k] as number) : NaN));
  return { x, y };
}

/** The curves of desom's figures, read from events.jsonl. */
export interface DesomCurves {
  /** Lr and Lsom of the logged steps (none invented before the first). */
  loss: { x: number[]; Lr: number[]; Lsom: number[] };
  /** T of the logged steps, after (0, tMax) when tMax is known and no step 0 was logged. */
  T: { x: number[]; y: number[] };
  /** The periodic evaluations (iteration 0 is the map before training). */
  eval: { x: number[]; y: Record<string, number[]> };
}

/**
 * The training curves of a DESOM run: every curve is drawn from iteration 0, where the periodic
 * evaluation measures the initial map and the temperature is Tmax by definition (T(0) = Tmax for
 * every decay); the losses start at the first logged step, as nothing is logged before it.
 */
export function desomCurves(events: readonly Record<string, unknown>[], tMax?: number): DesomCurves {
  const steps = curves(events, 'step', ['Lr', 'Lsom', 'T']);
  const T = { x: [...steps.x], y: [...steps.y.T] };
  if (tMax !== undefined && Number.isFinite(tMax) && (T.x.length === 0 || T.x[0] > 0)) {
    T.x.unshift(0);
    T.y.unshift(tMax);
  }
  return {
    loss: { x: steps.x, Lr: steps.y.Lr, Lsom: steps.y.Lsom },
    T,
    eval: curves(events, 'eval', ['purity', 'nmi', 'nmi_geometric', 'te']),
  };
}

/** Every DESOM figure (see the file comment). */
export async function desomFigures(o: DesomFigureOptions): Promise<FigureFile[]> {
  const { model } = o;
  const t = model.topology;
  const K = model.size;
  const figs: FigureFile[] = await somFigures({
    som: model.som,
    bmus: o.bmus,
    labels: o.labels,
    classNames: o.classNames,
    imageShape: o.imageShape,
    decode: (z) => model.decode(z),
    dataName: o.dataName,
  });
  const proto = figs.find((f) => f.file === 'prototypes.png');
  if (proto !== undefined)
    proto.caption = `Each latent prototype of the ${t.rows}×${t.cols} ${t.topology} map decoded to an image by the DESOM decoder, cell (r, c) at row r, column c (seed 000, Figure 3).`;

  if (o.imageShape !== null && o.x.cols === o.imageShape[0] * o.imageShape[1]) {
    const side = o.gallerySide ?? 3;
    const { images, shape } = cellMosaics(o.x, o.bmus, K, o.imageShape, side, o.rng);
    const scale = Math.max(1, Math.round(96 / shape[1]));
    figs.push({
      file: 'cell-samples.png',
      title: 'Samples of each cell',
      caption: `Up to ${side * side} samples (${o.dataName}) won by each cell, laid out on the map like the prototypes; empty slots stay black.`,
      png: encodePng(mapGrid(images, t.rows, t.cols, { imageShape: shape, scale, pad: 6, background: 255, range: [0, 1], topology: t.topology })),
    });
    const count = Math.min(o.x.rows, 20);
    const idx = gridIndices(o.labels, count, Math.max(1, o.classNames.length));
    const d = o.x.cols;
    const originals = new Float32Array(count * d);
    idx.forEach((row, j) => originals.set(o.x.data.subarray(row * d, (row + 1) * d), j * d));
    const orig = new Tensor(originals, [count, d]);
    figs.push({
      file: 'reconstructions.png',
      title: 'Reconstructions',
      caption: `Samples of ${o.dataName} (rows 1 and 3) over their reconstructions by the DESOM autoencoder (rows 2 and 4).`,
      png: reconstructionPng(orig, model.reconstruct(orig), o.imageShape, 10),
    });
  }

  const c = desomCurves(o.events, o.tMax);
  if (c.loss.x.length > 0) {
    const series: Series[] = [
      { name: 'Lr (reconstruction MSE)', x: c.loss.x, y: c.loss.Lr },
      { name: 'Lsom', x: c.loss.x, y: c.loss.Lsom },
    ];
    figs.push({
      file: 'loss.svg',
      title: 'Losses during training',
      caption: `Lr and Lsom of the training minibatch at each logged step (log scale; the first is logged at iteration ${c.loss.x[0]}, none before); the objective is Lr + γ·Lsom.`,
      training: true,
      chart: {
        title: 'Losses during training',
        xLabel: 'iteration',
        yLabel: 'loss',
        logY: true,
        series: series.filter((s) => Array.from(s.y).some((v) => v > 0)),
      },
      svg: await lineChartSvg({
        title: 'Losses during training',
        xLabel: 'iteration',
        yLabel: 'loss (log scale)',
        series: series.filter((s) => Array.from(s.y).some((v) => v > 0)),
        yScale: 'log',
        legendTitle: 'term',
        xMin: 0,
        points: c.loss.x.length <= 60,
      }),
    });
  }
  if (c.T.x.length > 0) {
    figs.push({
      file: 'temperature.svg',
      title: 'Temperature',
      caption: `The neighbourhood temperature T of the SOM loss${c.T.x[0] === 0 && o.tMax !== undefined ? `, from T = Tmax = ${o.tMax} at iteration 0` : ''}, at each logged step.`,
      training: true,
      chart: { title: 'Temperature T', xLabel: 'iteration', yLabel: 'T', series: [{ name: 'T', x: c.T.x, y: c.T.y }] },
      svg: await lineChartSvg({
        title: 'Temperature T',
        xLabel: 'iteration',
        yLabel: 'T',
        series: [{ name: 'T', x: c.T.x, y: c.T.y }],
        xMin: 0,
        points: c.T.x.length <= 60,
      }),
    });
  }
  const ev = c.eval;
  if (ev.x.length > 0) {
    figs.push({
      file: 'metrics.svg',
      title: 'Clustering quality during training',
      caption: `Purity and NMI (arithmetic and geometric) on a sample of ${o.evalRows} training rows, measured as training went on (iteration 0: the initial map).`,
      training: true,
      chart: {
        title: 'Purity and NMI during training',
        xLabel: 'iteration',
        yLabel: 'value',
        series: [
          { name: 'purity', x: ev.x, y: ev.y.purity },
          { name: 'NMI', x: ev.x, y: ev.y.nmi },
          { name: 'NMI (geometric)', x: ev.x, y: ev.y.nmi_geometric },
        ],
      },
      svg: await lineChartSvg({
        title: 'Purity and NMI during training',
        xLabel: 'iteration',
        yLabel: 'value',
        series: [
          { name: 'purity', x: ev.x, y: ev.y.purity },
          { name: 'NMI', x: ev.x, y: ev.y.nmi },
          { name: 'NMI (geometric)', x: ev.x, y: ev.y.nmi_geometric },
        ],
        points: ev.x.length <= 60,
        legendTitle: 'metric',
        xMin: 0,
      }),
    });
    const qe = evalCurve(o.events);
    figs.push({
      file: 'qe.svg',
      title: 'Quantization error during training',
      caption: `Mean distance from each code to its best-matching prototype on ${o.evalRows} training rows; the latent space itself changes as training goes on.`,
      training: true,
      svg: await lineChartSvg({
        title: 'Quantization error during training',
        xLabel: 'iteration',
        yLabel: 'QE (latent space)',
        series: [{ name: 'QE', x: qe.iteration, y: qe.qe }],
        points: qe.iteration.length <= 60,
        xMin: 0,
      }),
    });
    const te = teFigure(qe, `${o.evalRows} training rows`);
    if (te !== null) figs.push(await te);
  }
  return figs;
}
