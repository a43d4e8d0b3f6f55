/**
 * An 8-bit image in memory: the common currency of the PNG encoder and the image grids.
 */

/** Row-major, channel-interleaved pixels: `data[(y·width + x)·channels + k]`, 1 = grey, 3 = RGB, 4 = RGBA. */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** Throws unless `r` is a well-formed raster (integer sizes, 1/3/4 channels, data of the right length). */
export function checkRaster(fn: string, r: Raster): void {
  if (!Number.isInteger(r.width) || r.width < 0 || !Number.isInteger(r.height) || r.height < 0) {
    throw new RangeError(`${fn}: expected a raster with non-negative integer width and height, got ${r.width}×${r.height}`);
  }
  if (r.channels !== 1 && r.channels !== 3 && r.channels !== 4) {
    throw new RangeError(`${fn}: expected a raster with 1, 3 or 4 channels, got ${String(r.channels)}`);
  }
  const need = r.width * r.height * r.channels;
  if (!(r.data instanceof Uint8Array) || r.data.length !== need) {
    throw new RangeError(`${fn}: expected raster data of ${need} bytes (${r.width}×${r.height}×${r.channels}), got ${r.data?.length ?? 'none'}`);
  }
}

/** A raster filled with one grey level (each colour channel = `value`; alpha, if any, = 255). */
export function filledRaster(width: number, height: number, channels: 1 | 3 | 4, value: number): Raster {
  const data = new Uint8Array(width * height * channels).fill(value);
  if (channels === 4) for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { width, height, channels, data };
}

/** The pixel at (x, y) as an array of `channels` bytes (for tests and probes). */
export function pixelAt(r: Raster, x: number, y: number): number[] {
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= r.width || y >= r.height) {
    throw new RangeError(`pixelAt: expected 0 ≤ x < ${r.width} and 0 ≤ y < ${r.height}, got (${x}, ${y})`);
  }
  const o = (y * r.width + x) * r.channels;
  return Array.from(r.data.subarray(o, o + r.channels));
}
