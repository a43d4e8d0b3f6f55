/**
 * Colours shared by every figure, so a class has the same colour in a scatter, a class map and
 * a legend. Categorical: the d3/matplotlib "category10" set; sequential: viridis, greys, blues
 * as piecewise-linear ramps through published stops (viridis: matplotlib's 10 evenly spaced
 * samples; greys/blues: ColorBrewer's 9-class schemes).
 */

/** d3's category10 (= matplotlib tab10): 10 distinct colours for classes. */
export const CATEGORY10: readonly string[] = Object.freeze([
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
]);

/** The light companions of CATEGORY10 (matplotlib tab20's odd entries), used for classes 10–19. */
const CATEGORY10_LIGHT: readonly string[] = ['#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5'];

/**
 * Colour of class `i`: CATEGORY10 for 0–9, their light variants for 10–19, then evenly spaced
 * hues (golden-angle steps, so neighbours differ) for anything beyond.
 */
export function categoryColor(i: number): string {
  if (!Number.isInteger(i) || i < 0) throw new RangeError(`categoryColor: expected a class index ≥ 0, got ${i}`);
  if (i < 10) return CATEGORY10[i];
  if (i < 20) return CATEGORY10_LIGHT[i - 10];
  const hue = ((i - 20) * 137.508) % 360;
  return hslToHex(hue, 0.55, (i - 20) % 2 === 0 ? 0.45 : 0.62);
}

/** `n` class colours: `categoryColor(0..n-1)`. */
export function categoryColors(n: number): string[] {
  return Array.from({ length: n }, (_, i) => categoryColor(i));
}

const VIRIDIS_STOPS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
const GREYS_STOPS = ['#ffffff', '#f0f0f0', '#d9d9d9', '#bdbdbd', '#969696', '#737373', '#525252', '#252525', '#000000'];
const BLUES_STOPS = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

function parseHex(h: string): [number, number, number] {
  return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
}

const ramps = {
  viridis: VIRIDIS_STOPS.map(parseHex),
  greys: GREYS_STOPS.map(parseHex),
  blues: BLUES_STOPS.map(parseHex),
};

/** Names of the sequential colour scales. */
export type ColorScaleName = keyof typeof ramps;

function hex2(v: number): string {
  return Math.round(Math.min(255, Math.max(0, v)))
    .toString(16)
    .padStart(2, '0');
}

/** '#rrggbb' from 0..255 components (rounded, clamped). */
export function rgbToHex(r: number, g: number, b: number): string {
  return `#${hex2(r)}${hex2(g)}${hex2(b)}`;
}

function hslToHex(h: number, s: number, l: number): string {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = h / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] = hp < 1 ? [c, x, 0] : hp < 2 ? [x, c, 0] : hp < 3 ? [0, c, x] : hp < 4 ? [0, x, c] : hp < 5 ? [x, 0, c] : [c, 0, x];
  const m = l - c / 2;
  return rgbToHex((r + m) * 255, (g + m) * 255, (b + m) * 255);
}

function rampRgb(stops: readonly [number, number, number][], t: number): [number, number, number] {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = u * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/** Colour at t ∈ [0, 1] of a named sequential scale (t is clamped; NaN counts as 0). */
export function colorAt(scale: ColorScaleName, t: number): string {
  const ramp = ramps[scale];
  if (!ramp) throw new RangeError(`colorAt: expected a colour scale among ${Object.keys(ramps).join(', ')}, got ${String(scale)}`);
  const [r, g, b] = rampRgb(ramp, t);
  return rgbToHex(r, g, b);
}

/** Viridis (dark purple → yellow) at t ∈ [0, 1] → '#rrggbb'. */
export function viridis(t: number): string {
  return colorAt('viridis', t);
}

/** Greys (white → black) at t ∈ [0, 1] → '#rrggbb'. */
export function greys(t: number): string {
  return colorAt('greys', t);
}

/** Blues (near white → dark blue) at t ∈ [0, 1] → '#rrggbb'. */
export function blues(t: number): string {
  return colorAt('blues', t);
}

/** Relative luminance (sRGB, WCAG formula) of '#rrggbb', used to pick black or white text. */
export function luminance(hex: string): number {
  const lin = parseHex(hex).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
}

/** Black or white, whichever contrasts more (WCAG crossover at L = 0.179) with `background` blended over white with `alpha`. */
export function textColorOn(background: string, alpha = 1): string {
  const [r, g, b] = parseHex(background).map((v) => v * alpha + 255 * (1 - alpha));
  return luminance(rgbToHex(r, g, b)) > 0.179 ? '#000000' : '#ffffff';
}
