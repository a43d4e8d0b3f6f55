/**
 * The scatter's colours: a categorical palette for classes, clusters and predictions (twenty hues
 * chosen for a white background, the first ten the most distinct), a map cell's colour from its
 * place on the map (neighbouring cells get neighbouring colours, so the map's order shows in the
 * scatter), and two colours for right and wrong.
 */

export type Rgb = readonly [number, number, number];

const CATEGORICAL: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
  [57, 59, 121],
  [173, 73, 74],
  [99, 121, 57],
  [206, 109, 189],
  [140, 162, 82],
  [231, 186, 82],
  [107, 110, 207],
  [132, 60, 57],
  [82, 84, 163],
  [165, 81, 148],
];

/** Points with no value (a row outside a colouring). */
export const NO_VALUE: Rgb = [190, 194, 201];
export const RIGHT: Rgb = [120, 150, 190];
export const WRONG: Rgb = [220, 38, 38];

/** The colour of category `k` (repeating after twenty). */
export function categorical(k: number): Rgb {
  return k < 0 ? NO_VALUE : CATEGORICAL[k % CATEGORICAL.length];
}

/** HSL (h in degrees, s and l in [0, 1]) to RGB bytes. */
export function hsl(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] = hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** Cell `k` of a rows × cols map: hue along the columns, lightness down the rows. */
export function cellColor(k: number, rows: number, cols: number): Rgb {
  if (k < 0) return NO_VALUE;
  const r = Math.floor(k / cols);
  const c = k % cols;
  return hsl((300 * c) / Math.max(1, cols - 1), 0.7, 0.3 + (0.45 * r) / Math.max(1, rows - 1));
}

/** A CSS colour string. */
export const css = (c: Rgb): string => `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
