/**
 * A drawing made into an input the model knows: MNIST's digits were made by scaling each digit's
 * bounding box to fit 20 × 20 pixels (keeping its aspect ratio, grey levels from the averaging) and
 * placing it in a 28 × 28 image so that its centre of mass is at the centre (LeCun et al.'s
 * description of the dataset). `fitInk` does the same for any target size, the box keeping MNIST's
 * 20/28 of the side; USPS's 16 × 16 digits fill their image, so a side under 28 uses the whole
 * side. No DOM here: the panel passes the canvas's pixels in, tests pass arrays.
 */

/** The box the ink's bounding box is scaled to fit, for a target side (MNIST: 20 of 28). */
export function inkBox(side: number): number {
  return side >= 28 ? Math.round((side * 20) / 28) : side;
}

/**
 * The ink of a w × h image (values in [0, 1], 1 = ink) fitted into an outW × outH image as MNIST's
 * digits were: bounding box scaled to fit `box` (default inkBox) by area averaging, then centred on
 * its centre of mass. An image without ink gives zeros.
 */
export function fitInk(ink: ArrayLike<number>, w: number, h: number, outW: number, outH: number, box = inkBox(Math.min(outW, outH))): Float32Array {
  if (ink.length !== w * h) throw new Error(`fitInk: expected ${w * h} values (${w} × ${h}), got ${ink.length}`);
  const out = new Float32Array(outW * outH);
  let x0 = w;
  let x1 = -1;
  let y0 = h;
  let y1 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (ink[y * w + x] > 0) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = box / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale));
  const th = Math.max(1, Math.round(bh * scale));
  // Area averaging: each target pixel is the mean of the source area it covers (fractional edges weighted).
  const small = new Float32Array(tw * th);
  const sx = bw / tw;
  const sy = bh / th;
  for (let ty = 0; ty < th; ty++) {
    const ya = ty * sy;
    const yb = ya + sy;
    for (let tx = 0; tx < tw; tx++) {
      const xa = tx * sx;
      const xb = xa + sx;
      let sum = 0;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          sum += wx * wy * ink[(y0 + y) * w + x0 + x];
        }
      }
      small[ty * tw + tx] = Math.min(1, sum / (sx * sy));
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  // Where the small image's top-left corner goes so that its centre of mass lands on the centre.
  const ox = Math.round(outW / 2 - mx / mass);
  const oy = Math.round(outH / 2 - my / mass);
  for (let y = 0; y < th; y++) {
    const Y = y + oy;
    if (Y < 0 || Y >= outH) continue;
    for (let x = 0; x < tw; x++) {
      const X = x + ox;
      if (X >= 0 && X < outW) out[Y * outW + X] = small[y * tw + x];
    }
  }
  return out;
}

/**
 * Grey levels of an RGBA image (a dropped picture) as ink in [0, 1]: dark ink on a light background
 * (the usual photo or scan) is inverted, light ink on dark (MNIST's own look) is kept. Transparent
 * pixels are background.
 */
export function inkOfRgba(rgba: ArrayLike<number>): Float32Array {
  const n = rgba.length >> 2;
  const grey = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    const lum = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    // Transparent is background whichever way the image turns out to be drawn: composite over the background below.
    grey[i] = lum * a;
    sum += lum * a + (1 - a);
  }
  const lightBackground = sum / Math.max(1, n) > 0.5;
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3] / 255;
    grey[i] = lightBackground ? a * (1 - grey[i] / Math.max(a, 1e-9)) : grey[i];
  }
  return grey;
}
