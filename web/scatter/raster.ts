/**
 * The scatter's CPU renderer: every point splatted as a small anti-aliased disc straight into an
 * ImageData's bytes (alpha blended over what is there), then one putImageData. No path per point,
 * no canvas state: on a machine without a GPU this draws 70,000 points in a few milliseconds.
 */
import { discStamp, type Stamp } from './geometry.js';
import type { PointsRenderer, Transform } from './renderer.js';

export class RasterRenderer implements PointsRenderer {
  readonly kind = 'canvas' as const;
  private readonly ctx: CanvasRenderingContext2D;
  private image: ImageData;
  private words: Uint32Array;
  private xy: Float32Array = new Float32Array(0);
  private rgba: Uint8Array = new Uint8Array(0);
  private stamp: Stamp | null = null;
  private stampRadius = -1;

  constructor(readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (ctx === null) throw new Error('RasterRenderer: this browser gives no 2D canvas context');
    this.ctx = ctx;
    this.image = ctx.createImageData(Math.max(1, canvas.width), Math.max(1, canvas.height));
    this.words = new Uint32Array(this.image.data.buffer);
  }

  setPoints(xy: Float32Array, rgba: Uint8Array): void {
    this.xy = xy;
    this.rgba = rgba;
  }

  resize(width: number, height: number): void {
    this.canvas.width = Math.max(1, width);
    this.canvas.height = Math.max(1, height);
    this.image = this.ctx.createImageData(this.canvas.width, this.canvas.height);
    this.words = new Uint32Array(this.image.data.buffer);
  }

  draw(t: Transform, radius: number): void {
    if (this.stampRadius !== radius) {
      this.stamp = discStamp(radius);
      this.stampRadius = radius;
    }
    const { dx, dy, cover } = this.stamp as Stamp;
    const s = dx.length;
    const W = this.image.width;
    const H = this.image.height;
    const d = this.image.data;
    // White, opaque (the same 0xffffffff in either byte order).
    this.words.fill(0xffffffff);
    const xy = this.xy;
    const rgba = this.rgba;
    const reach = Math.ceil(radius);
    const n = xy.length >> 1;
    for (let p = 0; p < n; p++) {
      const cx = Math.round(xy[2 * p] * t.sx + t.tx);
      const cy = Math.round(xy[2 * p + 1] * t.sy + t.ty);
      if (cx < -reach || cy < -reach || cx >= W + reach || cy >= H + reach || cx !== cx || cy !== cy) continue;
      const r = rgba[4 * p];
      const g = rgba[4 * p + 1];
      const b = rgba[4 * p + 2];
      const a = rgba[4 * p + 3];
      const inner = cx >= reach && cy >= reach && cx < W - reach && cy < H - reach;
      for (let k = 0; k < s; k++) {
        const x = cx + dx[k];
        const y = cy + dy[k];
        if (!inner && (x < 0 || y < 0 || x >= W || y >= H)) continue;
        // alpha in 0..256; dst += (src − dst)·alpha / 256 (Uint8ClampedArray rounds and clamps).
        const al = (a * cover[k] + 128) >> 8;
        const o = (y * W + x) << 2;
        d[o] += ((r - d[o]) * al) >> 8;
        d[o + 1] += ((g - d[o + 1]) * al) >> 8;
        d[o + 2] += ((b - d[o + 2]) * al) >> 8;
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
  }

  destroy(): void {
    this.xy = new Float32Array(0);
    this.rgba = new Uint8Array(0);
  }
}
