/**
 * PNG files for rasters, through fast-png (pure JS, deflate by fflate): 8-bit grey, RGB or RGBA.
 */
import { decode, encode, convertIndexedToRgb } from 'fast-png';
import { checkRaster, type Raster } from './raster.js';

/** Encodes an 8-bit raster as PNG bytes (colour type follows `channels`). */
export function encodePng(r: Raster): Uint8Array {
  checkRaster('encodePng', r);
  if (r.width === 0 || r.height === 0) {
    throw new RangeError(`encodePng: expected a non-empty raster, got ${r.width}×${r.height}`);
  }
  return encode({ width: r.width, height: r.height, data: r.data, channels: r.channels, depth: 8 });
}

/**
 * Decodes PNG bytes to an 8-bit raster: grey+alpha becomes RGBA, palettes are expanded,
 * 16-bit samples keep their high byte (sub-byte grey is not supported).
 */
export function decodePng(bytes: Uint8Array): Raster {
  let png;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new Error(`decodePng: expected PNG bytes (${bytes.length} given), decoding failed: ${(e as Error).message}`, { cause: e });
  }
  const { width, height } = png;
  const n = width * height;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const ch = rgb.length === n * 4 ? 4 : 3;
    return { width, height, channels: ch, data: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length).slice() };
  }
  const src = png.data;
  const samples = new Uint8Array(n * png.channels);
  if (png.depth === 8) {
    samples.set(src);
  } else if (png.depth === 16) {
    for (let i = 0; i < samples.length; i++) samples[i] = (src as Uint16Array)[i] >>> 8;
  } else {
    throw new RangeError(`decodePng: expected 8- or 16-bit samples (or a palette), got bit depth ${png.depth}`);
  }
  switch (png.channels) {
    case 1:
    case 3:
    case 4:
      return { width, height, channels: png.channels, data: samples };
    case 2: {
      const data = new Uint8Array(n * 4);
      for (let i = 0; i < n; i++) {
        const g = samples[2 * i];
        data[4 * i] = g;
        data[4 * i + 1] = g;
        data[4 * i + 2] = g;
        data[4 * i + 3] = samples[2 * i + 1];
      }
      return { width, height, channels: 4, data };
    }
    default:
      throw new RangeError(`decodePng: expected 1 to 4 channels, got ${png.channels}`);
  }
}

/** True when `bytes` start with the 8-byte PNG signature 89 50 4E 47 0D 0A 1A 0A. */
export function isPng(bytes: Uint8Array): boolean {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && sig.every((b, i) => bytes[i] === b);
}
