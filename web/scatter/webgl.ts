/**
 * The scatter's GPU renderer in raw WebGL2: the points as point sprites in one draw call, a
 * position buffer (float32 x,y) and a colour buffer (RGBA bytes) uploaded when they change, and the
 * pan/zoom transform as a uniform, so a frame while panning is one uniform and one draw. The
 * fragment shader cuts each sprite to an anti-aliased disc. (regl-scatterplot was the other way:
 * regl compiles its draw commands with `Function(…)` at run time, which the explorer's
 * Content-Security-Policy forbids.)
 */
import type { PointsRenderer, Transform } from './renderer.js';

const VERTEX = `#version 300 es
in vec2 a_xy;
in vec4 a_rgba;
uniform vec4 u_transform;
uniform float u_size;
out vec4 v_rgba;
void main() {
  gl_Position = vec4(a_xy * u_transform.xy + u_transform.zw, 0.0, 1.0);
  gl_PointSize = u_size;
  v_rgba = a_rgba;
}`;

const FRAGMENT = `#version 300 es
precision highp float;
in vec4 v_rgba;
uniform float u_size;
out vec4 color;
void main() {
  // Distance from the sprite's centre in pixels; the disc's edge fades over one pixel.
  float d = length(gl_PointCoord - 0.5) * u_size;
  float a = clamp(0.5 * u_size - d, 0.0, 1.0);
  if (a <= 0.0) discard;
  color = vec4(v_rgba.rgb, v_rgba.a * a);
}`;

function shader(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const s = gl.createShader(type);
  if (s === null) throw new Error('WebglRenderer: cannot create a shader');
  gl.shaderSource(s, source);
  gl.compileShader(s);
  if (gl.getShaderParameter(s, gl.COMPILE_STATUS) !== true) throw new Error(`WebglRenderer: shader does not compile: ${gl.getShaderInfoLog(s) ?? ''}`);
  return s;
}

export class WebglRenderer implements PointsRenderer {
  readonly kind = 'webgl' as const;
  private readonly gl: WebGL2RenderingContext;
  private readonly program: WebGLProgram;
  private readonly vao: WebGLVertexArrayObject;
  private readonly xyBuffer: WebGLBuffer;
  private readonly rgbaBuffer: WebGLBuffer;
  private readonly uTransform: WebGLUniformLocation | null;
  private readonly uSize: WebGLUniformLocation | null;
  private readonly maxSize: number;
  private count = 0;

  constructor(readonly canvas: HTMLCanvasElement) {
    // preserveDrawingBuffer: the pixels stay readable after compositing (screenshots, tests).
    const gl = canvas.getContext('webgl2', { alpha: false, antialias: false, depth: false, preserveDrawingBuffer: true });
    if (gl === null) throw new Error('WebglRenderer: this browser gives no WebGL2 context');
    this.gl = gl;
    const program = gl.createProgram();
    gl.attachShader(program, shader(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, shader(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.bindAttribLocation(program, 0, 'a_xy');
    gl.bindAttribLocation(program, 1, 'a_rgba');
    gl.linkProgram(program);
    if (gl.getProgramParameter(program, gl.LINK_STATUS) !== true)
      throw new Error(`WebglRenderer: program does not link: ${gl.getProgramInfoLog(program) ?? ''}`);
    this.program = program;
    this.uTransform = gl.getUniformLocation(program, 'u_transform');
    this.uSize = gl.getUniformLocation(program, 'u_size');
    this.vao = gl.createVertexArray();
    this.xyBuffer = gl.createBuffer();
    this.rgbaBuffer = gl.createBuffer();
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.xyBuffer);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.rgbaBuffer);
    gl.enableVertexAttribArray(1);
    gl.vertexAttribPointer(1, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.bindVertexArray(null);
    const range = gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE) as Float32Array | null;
    this.maxSize = range === null ? 64 : range[1];
  }

  setPoints(xy: Float32Array, rgba: Uint8Array): void {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.xyBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, xy, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.rgbaBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, rgba, gl.STATIC_DRAW);
    this.count = xy.length >> 1;
  }

  resize(width: number, height: number): void {
    this.canvas.width = Math.max(1, width);
    this.canvas.height = Math.max(1, height);
  }

  draw(t: Transform, radius: number, finish = false): void {
    const gl = this.gl;
    const W = this.canvas.width;
    const H = this.canvas.height;
    gl.viewport(0, 0, W, H);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(this.program);
    // Device pixels → clip space: X/W·2 − 1, 1 − Y/H·2.
    gl.uniform4f(this.uTransform, (2 * t.sx) / W, (-2 * t.sy) / H, (2 * t.tx) / W - 1, 1 - (2 * t.ty) / H);
    gl.uniform1f(this.uSize, Math.min(this.maxSize, 2 * radius + 1));
    gl.bindVertexArray(this.vao);
    gl.drawArrays(gl.POINTS, 0, this.count);
    gl.bindVertexArray(null);
    if (finish) gl.finish();
  }

  destroy(): void {
    const gl = this.gl;
    gl.deleteBuffer(this.xyBuffer);
    gl.deleteBuffer(this.rgbaBuffer);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.program);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}
