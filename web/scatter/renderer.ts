/**
 * The scatter's two renderers behind one interface — WebGL2 point sprites (webgl.ts) and a
 * typed-array rasterizer into a 2D canvas (raster.ts) — and the automatic choice between them.
 *
 * Why two: where WebGL runs on a GPU it draws 10⁵ points in well under a frame; where it runs on
 * a software implementation (SwiftShader, llvmpipe: machines without a GPU, headless browsers,
 * some VMs) each sprite is shaded on the CPU, and a plain loop splatting small discs into an
 * ImageData is several times faster (here 70,000 points: ~6–7 frames/s against ~50). So 'auto'
 * takes the canvas when the WebGL renderer names itself software, WebGL otherwise.
 */

/** Data coordinates → device pixels: X = x·sx + tx, Y = y·sy + ty (sy < 0: y grows upwards). */
export interface Transform {
  sx: number;
  sy: number;
  tx: number;
  ty: number;
}

export type RendererKind = 'webgl' | 'canvas';

export interface PointsRenderer {
  readonly kind: RendererKind;
  /** The canvas it draws on (device-pixel sized; CSS sizes it). */
  readonly canvas: HTMLCanvasElement;
  /** The points in drawing order (x,y pairs in data coordinates) and their RGBA bytes; later points are drawn over earlier ones. */
  setPoints(xy: Float32Array, rgba: Uint8Array): void;
  /** Draws every point as a disc of `radius` device pixels; `finish` waits until the pixels are there (first-render timing). */
  draw(t: Transform, radius: number, finish?: boolean): void;
  resize(width: number, height: number): void;
  destroy(): void;
}

export interface WebglSupport {
  available: boolean;
  /** The renderer string (UNMASKED_RENDERER_WEBGL when the browser tells it), or why there is none. */
  renderer: string;
  /** Whether it is a software implementation (slower than the canvas rasterizer). */
  software: boolean;
  /** A short name for the page: the software renderer's name (SwiftShader, llvmpipe), else the renderer. */
  short: string;
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i;

let support: WebglSupport | null = null;

/** What WebGL2 this browser has (probed once, on a throwaway canvas). */
export function webglSupport(): WebglSupport {
  if (support !== null) return support;
  const canvas = document.createElement('canvas');
  let gl: WebGL2RenderingContext | null;
  try {
    gl = canvas.getContext('webgl2');
  } catch {
    gl = null;
  }
  if (gl === null) {
    support = { available: false, renderer: 'no WebGL2', software: false, short: 'no WebGL2' };
    return support;
  }
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(debug === null ? gl.RENDERER : debug.UNMASKED_RENDERER_WEBGL));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  const soft = SOFTWARE.exec(renderer);
  support = { available: true, renderer, software: soft !== null, short: soft !== null ? soft[0] : renderer.replace(/^ANGLE \((.*)\)$/, '$1') };
  return support;
}

/** The renderer 'auto' picks here. */
export function autoRenderer(s: WebglSupport = webglSupport()): RendererKind {
  return s.available && !s.software ? 'webgl' : 'canvas';
}
