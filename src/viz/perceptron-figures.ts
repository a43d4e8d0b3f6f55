/**
 * The figure of a linear classifier in the plane: the points coloured by class and its decision
 * boundary w₁x + w₂y + b = 0 (the perceptron's, src/nn/perceptron.ts), drawn across the points'
 * box.
 */
import type { TopLevelSpec } from 'vega-lite';
import { renderVegaLiteSvg } from './charts.js';
import { categoryColor } from './palette.js';

/** An axis-aligned box: [xMin, xMax] × [yMin, yMax]. */
export interface Box {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

/**
 * The segment of the line w₁x + w₂y + b = 0 inside `box` (its two end points on the box's edges),
 * or null when the weights are both 0 (no line) or the line misses the box.
 */
export function lineInBox(w1: number, w2: number, b: number, box: Box): { x: [number, number]; y: [number, number] } | null {
  const fn = 'lineInBox';
  for (const [k, v] of Object.entries({ w1, w2, b, ...box })) if (!Number.isFinite(v)) throw new RangeError(`${fn}: expected finite ${k}, got ${v}`);
  if (!(box.xMax > box.xMin && box.yMax > box.yMin))
    throw new RangeError(`${fn}: expected a box with xMax > xMin and yMax > yMin, got [${box.xMin}, ${box.xMax}] × [${box.yMin}, ${box.yMax}]`);
  if (w1 === 0 && w2 === 0) return null;
  const points: [number, number][] = [];
  const eps = 1e-12 * Math.max(1, Math.abs(box.xMax - box.xMin), Math.abs(box.yMax - box.yMin));
  // Where the line crosses each edge: x = const edges need w₂ ≠ 0, y = const edges w₁ ≠ 0.
  if (w2 !== 0) {
    for (const x of [box.xMin, box.xMax]) {
      const y = -(w1 * x + b) / w2;
      if (y >= box.yMin - eps && y <= box.yMax + eps) points.push([x, y]);
    }
  }
  if (w1 !== 0) {
    for (const y of [box.yMin, box.yMax]) {
      const x = -(w2 * y + b) / w1;
      if (x >= box.xMin - eps && x <= box.xMax + eps) points.push([x, y]);
    }
  }
  if (points.length < 2) return null;
  // The two points farthest apart (a line through a corner is found on two edges).
  let best: [[number, number], [number, number]] = [points[0], points[1]];
  let far = -1;
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const d = (points[i][0] - points[j][0]) ** 2 + (points[i][1] - points[j][1]) ** 2;
      if (d > far) {
        far = d;
        best = [points[i], points[j]];
      }
    }
  }
  if (far <= 0) return null;
  const z = (v: number): number => v + 0; // −0 → 0
  return { x: [z(best[0][0]), z(best[1][0])], y: [z(best[0][1]), z(best[1][1])] };
}

/** The points' box, widened by `pad` times its size on each side (a degenerate side by 1). */
export function paddedBox(x: ArrayLike<number>, y: ArrayLike<number>, pad = 0.15): Box {
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let i = 0; i < x.length; i++) {
    xMin = Math.min(xMin, x[i]);
    xMax = Math.max(xMax, x[i]);
    yMin = Math.min(yMin, y[i]);
    yMax = Math.max(yMax, y[i]);
  }
  if (!(xMin <= xMax && yMin <= yMax)) throw new RangeError(`paddedBox: expected at least one finite point, got ${x.length}`);
  const dx = xMax > xMin ? (xMax - xMin) * pad : 1;
  const dy = yMax > yMin ? (yMax - yMin) * pad : 1;
  return { xMin: xMin - dx, xMax: xMax + dx, yMin: yMin - dy, yMax: yMax + dy };
}

/**
 * Points (x[i], y[i]) coloured by their class (0 / 1, named by `classNames`) and the boundary
 * w₁x + w₂y + b = 0 of a linear classifier, as an SVG whose axes span the points' padded box (the
 * line drawn edge to edge; left out when it misses the box).
 */
export async function decisionBoundarySvg(o: {
  title: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  labels: Int32Array;
  classNames?: readonly string[];
  weights: readonly [number, number];
  bias: number;
  /** Legend of the line (default "w·x + b = 0"). */
  lineName?: string;
  xLabel?: string;
  yLabel?: string;
}): Promise<string> {
  const fn = 'decisionBoundarySvg';
  const n = o.x.length;
  if (o.y.length !== n || o.labels.length !== n)
    throw new RangeError(`${fn}: expected as many y values and labels as x values (${n}), got ${o.y.length} and ${o.labels.length}`);
  const box = paddedBox(o.x, o.y);
  const seg = lineInBox(o.weights[0], o.weights[1], o.bias, box);
  const classes = [...new Set(o.labels)].sort((a, b) => a - b);
  const name = (c: number): string => o.classNames?.[c] ?? String(c);
  const points = Array.from({ length: n }, (_, i) => ({ x: o.x[i], y: o.y[i], class: name(o.labels[i]) }));
  const lineName = o.lineName ?? 'w·x + b = 0';
  const scale = (lo: number, hi: number) => ({ domain: [lo, hi], nice: false, zero: false });
  const spec = {
    title: o.title,
    width: 380,
    height: 340,
    layer: [
      {
        data: { values: points },
        mark: { type: 'circle', size: n <= 16 ? 160 : 18, opacity: 0.8, aria: false },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: o.xLabel ?? 'x₁', scale: scale(box.xMin, box.xMax) },
          y: { field: 'y', type: 'quantitative', title: o.yLabel ?? 'x₂', scale: scale(box.yMin, box.yMax) },
          color: {
            field: 'class',
            type: 'nominal',
            title: 'class',
            sort: null,
            scale: { domain: classes.map(name), range: classes.map((c) => categoryColor(c)) },
          },
        },
      },
      ...(seg === null
        ? []
        : [
            {
              data: { values: seg.x.map((x, i) => ({ x, y: seg.y[i], line: lineName })) },
              mark: { type: 'line', color: '#222222', strokeWidth: 2, aria: false, clip: true },
              encoding: {
                x: { field: 'x', type: 'quantitative' },
                y: { field: 'y', type: 'quantitative' },
                strokeDash: { field: 'line', type: 'nominal', title: 'boundary', scale: { domain: [lineName] }, legend: { labelLimit: 400 } },
              },
            },
          ]),
    ],
  } as TopLevelSpec;
  return renderVegaLiteSvg(spec);
}
