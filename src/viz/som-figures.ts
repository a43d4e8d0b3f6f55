/**
 * Figures of SOM and k-means models, built from the model and plain arrays (no run directory):
 * the prototype map drawn as images (raw pixels, or through a decoder for maps trained in a latent
 * space), U-matrix, hit map, class map (majority label and purity per cell), the QE curve; the
 * samples each cell wins as mosaics; for k-means the centroids as images, cluster sizes and the
 * clusters × classes contingency table. The CLI writes them into a run's figures/ and report.html
 * (src/runs/kinds/som/figures.ts).
 */
import { cellLabels, cellMembers, hitMap, uMatrix } from '../som/analysis.js';
import type { SOM } from '../som/som.js';
import type { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { barChartSvg, heatmapSvg, lineChartSvg } from './charts.js';
import { imageGrid, imageRange, mapGrid, type ImageGridOptions } from './image-grid.js';
import { encodePng } from './png.js';
import type { ReportFigure } from './report.js';
import { cellMapSvg } from './som-maps.js';
import { uniqueNames } from './format.js';

/** A figure written to figures/<file> and shown in report.html. */
export interface FigureFile extends ReportFigure {
  file: string;
  /** Curves over training go to the report's "Training" section (qe.svg always does). */
  training?: boolean;
}

/** Decodes latent rows into images (e.g. `(z) => ae.decode(z)`). */
export type Decode = (z: Tensor) => Tensor;

/**
 * The rows to draw as images: decoded when a decoder is given, the rows themselves when they are
 * images of `imageShape`, else null (nothing to draw).
 */
export function rowsAsImages(rows: Tensor, imageShape: readonly [number, number] | null, decode?: Decode): Tensor | null {
  if (imageShape === null) return null;
  const images = decode === undefined ? rows : decode(rows);
  return images.cols === imageShape[0] * imageShape[1] ? images : null;
}

/** Grid options for images of this shape: drawn in `imageRange` of their pixels, about 56 px wide. */
function gridLook(images: Tensor, imageShape: readonly [number, number]): ImageGridOptions {
  // About 56 px per image (MNIST at ×2, USPS at ×4), so maps of either read at the same size.
  return { imageShape, scale: Math.max(1, Math.round(56 / imageShape[1])), pad: 2, background: 255, range: imageRange(images.data) };
}

/** Short text for a class in a map cell: its name when short, else its index. */
function shortName(classNames: readonly string[], c: number): string {
  const name = classNames[c] ?? String(c);
  return name.length <= 3 ? name : String(c);
}

/** QE / TE measured during training (events of type 'eval'), one point per iteration (the last record wins after a resume). */
export interface EvalCurve {
  iteration: number[];
  qe: number[];
  te: number[];
}

export interface SomFigureOptions {
  som: SOM;
  /** BMU of each row the maps describe (hits and classes). */
  bmus: Int32Array;
  /** Class of each row (for the class map). */
  labels: Int32Array;
  classNames: readonly string[];
  /** [h, w] of one raw image, or null for non-image data. */
  imageShape: readonly [number, number] | null;
  /** For maps trained on latent codes: draws the prototypes through the decoder. */
  decode?: Decode;
  /** QE/TE during training (qe.svg), when there are points. */
  curve?: EvalCurve;
  /** Rows the curve was measured on (caption). */
  curveRows?: number;
  /** Which rows the maps describe, for titles (e.g. "MNIST train"). */
  dataName: string;
}

/** prototypes.png, umatrix.svg, hits.svg, classes.svg and qe.svg of a trained SOM. */
export async function somFigures(o: SomFigureOptions): Promise<FigureFile[]> {
  const { som, bmus, labels, classNames } = o;
  const t = som.topology;
  const K = som.size;
  const figs: FigureFile[] = [];
  const images = rowsAsImages(som.prototypes, o.imageShape, o.decode);
  if (images !== null && o.imageShape !== null) {
    const raster = mapGrid(images, t.rows, t.cols, { ...gridLook(images, o.imageShape), topology: t.topology });
    figs.push({
      file: 'prototypes.png',
      title: o.decode === undefined ? 'Prototype map' : 'Decoded prototype map',
      caption: `${t.rows}×${t.cols} ${t.topology} map, cell (r, c) at row r, column c; ${o.decode === undefined ? 'each prototype drawn as an image' : 'each latent prototype decoded by the encoder run’s decoder'}.`,
      png: encodePng(raster),
    });
  }
  const umat = uMatrix(som);
  const topology = t.topology;
  const cellSize = Math.max(14, Math.min(56, Math.floor(560 / t.cols)));
  figs.push({
    file: 'umatrix.svg',
    title: 'U-matrix',
    caption:
      'Mean Euclidean distance from each prototype to those of its edge neighbours (4 on a rectangular map, 6 on a hexagonal one): bright ridges separate clusters.',
    svg: cellMapSvg({
      title: `U-matrix (${t.rows}×${t.cols})`,
      rows: t.rows,
      cols: t.cols,
      topology,
      values: umat,
      colorScale: 'viridis',
      legendTitle: 'mean distance',
      cellSize,
    }),
  });
  const hits = hitMap(bmus, K);
  figs.push({
    file: 'hits.svg',
    title: 'Hit map',
    caption: `Samples of ${o.dataName} won by each cell (${bmus.length} in all; ${Array.from(hits).filter((h) => h === 0).length} empty cells).`,
    svg: cellMapSvg({
      title: `Hits, ${o.dataName}`,
      rows: t.rows,
      cols: t.cols,
      topology,
      values: hits,
      colorScale: 'blues',
      legendTitle: 'samples',
      text: Array.from(hits, String),
      cellSize,
    }),
  });
  const cl = cellLabels(bmus, labels, K);
  const withPercent = t.cols <= 12;
  const text = Array.from(cl.label, (c, k) =>
    c < 0 ? '' : withPercent ? `${shortName(classNames, c)} ${Math.round(cl.purity[k] * 100)}%` : shortName(classNames, c),
  );
  figs.push({
    file: 'classes.svg',
    title: 'Class map',
    caption: `Majority class of each cell's samples (${o.dataName}), its share of the cell as opacity${withPercent ? ' and as a percentage' : ''}; empty cells in grey.`,
    svg: cellMapSvg({
      title: `Majority class and purity, ${o.dataName}`,
      rows: t.rows,
      cols: t.cols,
      topology,
      categories: cl.label,
      categoryNames: classNames,
      alpha: Array.from(cl.purity, (p) => (Number.isFinite(p) ? 0.25 + 0.75 * p : 1)),
      text,
      legendTitle: 'class',
      cellSize,
    }),
  });
  if (o.curve !== undefined && o.curve.iteration.length > 0) {
    figs.push({
      file: 'qe.svg',
      title: 'Quantization error during training',
      caption: `Mean distance from each row to its best-matching prototype, measured on ${o.curveRows ?? 'a sample of'} training rows as training went on.`,
      svg: await lineChartSvg({
        title: 'Quantization error during training',
        xLabel: 'iteration',
        yLabel: 'QE',
        series: [{ name: 'QE', x: o.curve.iteration, y: o.curve.qe }],
        points: o.curve.iteration.length <= 60,
      }),
    });
    const te = teFigure(o.curve, `${o.curveRows ?? 'a sample of'} training rows`);
    if (te !== null) figs.push(await te);
  }
  return figs;
}

/**
 * te.svg: the topographic error measured during training, on its own axis (a share in [0, 1]
 * where lower is better, unlike purity or NMI beside which it would otherwise be drawn). Null when
 * the curve holds no TE.
 */
export function teFigure(curve: EvalCurve, rows: string): Promise<FigureFile> | null {
  if (!curve.te.some((v) => Number.isFinite(v))) return null;
  return lineChartSvg({
    title: 'Topographic error during training',
    xLabel: 'iteration',
    yLabel: 'TE (share of rows)',
    series: [{ name: 'TE', x: curve.iteration, y: curve.te }],
    points: curve.iteration.length <= 60,
    xMin: 0,
  }).then((svg) => ({
    file: 'te.svg',
    title: 'Topographic error during training',
    caption: `Share of ${rows} whose best and second-best matching cells are not neighbours on the map (lower is better), measured as training went on.`,
    training: true,
    svg,
  }));
}

export interface KMeansFigureOptions {
  centroids: Tensor;
  /** Cluster of each row. */
  assignments: Int32Array;
  labels: Int32Array;
  classNames: readonly string[];
  imageShape: readonly [number, number] | null;
  decode?: Decode;
  dataName: string;
}

/** centroids.png (when drawable), sizes.svg and contingency.svg of a k-means run. */
export async function kmeansFigures(o: KMeansFigureOptions): Promise<FigureFile[]> {
  const k = o.centroids.rows;
  const figs: FigureFile[] = [];
  const images = rowsAsImages(o.centroids, o.imageShape, o.decode);
  if (images !== null && o.imageShape !== null) {
    figs.push({
      file: 'centroids.png',
      title: o.decode === undefined ? 'Centroids' : 'Decoded centroids',
      caption: `The ${k} centroids in cluster order (left to right, top to bottom)${o.decode === undefined ? '' : ', decoded by the encoder run’s decoder'}.`,
      png: encodePng(imageGrid(images, { ...gridLook(images, o.imageShape), cols: Math.min(k, 10) })),
    });
  }
  const sizes = new Array<number>(k).fill(0);
  for (const a of o.assignments) sizes[a]++;
  const names = Array.from({ length: k }, (_, j) => String(j));
  figs.push({
    file: 'sizes.svg',
    title: 'Cluster sizes',
    caption: `Rows of ${o.dataName} per cluster.`,
    svg: await barChartSvg({ title: `Cluster sizes, ${o.dataName}`, xLabel: 'cluster', yLabel: 'rows', categories: names, values: sizes }),
  });
  const C = o.classNames.length;
  let maxLabel = C - 1;
  for (const l of o.labels) if (l > maxLabel) maxLabel = l;
  const classes = Array.from({ length: maxLabel + 1 }, (_, c) => o.classNames[c] ?? String(c));
  const matrix = Array.from({ length: k }, () => new Array<number>(classes.length).fill(0));
  for (let i = 0; i < o.assignments.length; i++) matrix[o.assignments[i]][o.labels[i]]++;
  figs.push({
    file: 'contingency.svg',
    title: 'Clusters × classes',
    caption: `How many rows of each class (columns) each cluster (rows) holds, ${o.dataName}.`,
    svg: await heatmapSvg({
      title: `Clusters × classes, ${o.dataName}`,
      xLabel: 'class',
      yLabel: 'cluster',
      matrix,
      rowNames: names,
      colNames: uniqueNames(classes),
    }),
  });
  return figs;
}

/**
 * One image per cell: a side×side mosaic of samples it won (a seeded random choice when it won
 * more), 1-pixel grey lines between them, empty slots black like the image background.
 */
export function cellMosaics(
  x: Tensor,
  bmus: Int32Array,
  cells: number,
  imageShape: readonly [number, number],
  side: number,
  rng: Rng,
): { images: Tensor; shape: [number, number] } {
  const [h, w] = imageShape;
  if (x.cols !== h * w) throw new RangeError(`cellMosaics: expected rows of ${h}×${w} = ${h * w} features, got ${x.cols}`);
  const H = side * h + side - 1;
  const W = side * w + side - 1;
  const out = new Float32Array(cells * H * W);
  const members = cellMembers(bmus, cells);
  for (let k = 0; k < cells; k++) {
    const base = k * H * W;
    // Grey separators, then the samples.
    for (let s = 1; s < side; s++) {
      for (let r = 0; r < H; r++) out[base + r * W + s * (w + 1) - 1] = 0.5;
      for (let c = 0; c < W; c++) out[base + (s * (h + 1) - 1) * W + c] = 0.5;
    }
    const m = members[k];
    const take = Math.min(m.length, side * side);
    const picked =
      m.length <= take
        ? Array.from(m)
        : Array.from(rng.sample(m.length, take))
            .sort((a, b) => a - b)
            .map((i) => m[i]);
    picked.forEach((row, j) => {
      const r0 = Math.floor(j / side) * (h + 1);
      const c0 = (j % side) * (w + 1);
      for (let r = 0; r < h; r++) out.set(x.data.subarray(row * x.cols + r * w, row * x.cols + (r + 1) * w), base + (r0 + r) * W + c0);
    });
  }
  return { images: new Tensor(out, [cells, H * W]), shape: [H, W] };
}
