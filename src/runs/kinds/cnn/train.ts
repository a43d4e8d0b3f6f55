/**
 * Training a cnn run: the network of `--arch` (arch.ts) on the dataset's images, through the
 * classifier loop `train mlp` uses (../classifier.ts), plus two figures of what the first
 * convolution learned: its kernels (filters.png) and what they make of a test image
 * (feature_maps.png).
 */
import { writeFileAtomic } from '../../../io/atomic.js';
import { Conv2d } from '../../../nn/conv2d.js';
import { summary } from '../../../nn/summary.js';
import type { Sequential } from '../../../nn/sequential.js';
import { Tensor } from '../../../tensor/tensor.js';
import { imageGrid, stackRasters } from '../../../viz/image-grid.js';
import { encodePng } from '../../../viz/png.js';
import type { ReportSection } from '../../../viz/report.js';
import type { Training } from '../../kind.js';
import { UsageError } from '../../errors.js';
import type { Need } from '../../limits.js';
import type { RunDir } from '../../run-dir.js';
import type { TrainSession } from '../../session.js';
import { trainClassifier } from '../classifier.js';
import { archParameters, archShapes, buildCnn, describeLayer, parseArch } from './arch.js';
import type { CnnConfig } from './config.js';

const F32 = 4;

/** Memory of a CNN: parameters with their gradients and Adam's two moments; a minibatch's activations, their gradients and the convolutions' column buffers. */
function cnnNeeds(params: number, cfg: CnnConfig, input: readonly [number, number, number], arch: string): Need[] {
  const layers = parseArch(cfg.arch);
  const shapes = archShapes(layers, input);
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  let cols = 0;
  let c = input[0];
  for (const [i, l] of layers.entries()) {
    if (l.kind === 'conv') {
      cols = Math.max(cols, (c * l.kernel * l.kernel * sizes[i]) / l.out);
      c = l.out;
    }
  }
  const activations = sizes.reduce((a, b) => a + b, input[0] * input[1] * input[2]);
  return [
    { flag: '--arch', value: cfg.arch, what: `a ${arch} network (parameters, gradients and optimizer state)`, bytes: params * 4 * F32, largest: params },
    {
      flag: '--batch-size',
      value: cfg.batch_size,
      what: `a minibatch of ${cfg.batch_size} images through ${arch}`,
      bytes: cfg.batch_size * (3 * activations + cols) * F32,
      largest: cfg.batch_size * Math.max(...sizes, cols),
    },
  ];
}

/** The first convolution of a network and its index in the Sequential, or null. */
function firstConv(model: Sequential): { conv: Conv2d; at: number } | null {
  const at = model.modules.findIndex((m) => m instanceof Conv2d);
  return at < 0 ? null : { conv: model.modules[at] as Conv2d, at };
}

/** filters.png and feature_maps.png: the first convolution's kernels, and its outputs (after the activation) for the first test image. */
function cnnFigures(run: RunDir, model: Sequential, testX: Tensor, imageShape: readonly [number, number]): ReportSection[] {
  const first = firstConv(model);
  if (first === null) return [];
  const { conv, at } = first;
  const [out, cin, kh, kw] = conv.weight.value.shape;
  // Each kernel stretched to its own range, so that its pattern shows whatever its scale.
  const w = conv.weight.value.data;
  const per = cin * kh * kw;
  const kernels = new Float32Array(out * per);
  for (let o = 0; o < out; o++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < per; j++) {
      lo = Math.min(lo, w[o * per + j]);
      hi = Math.max(hi, w[o * per + j]);
    }
    for (let j = 0; j < per; j++) {
      const v = hi > lo ? (w[o * per + j] - lo) / (hi - lo) : 0.5;
      // An RGB kernel [3, kh, kw] is drawn in colour ([kh, kw, 3], channels interleaved); any
      // other channel count, one grey image per channel.
      if (cin === 3) kernels[o * per + (j % (kh * kw)) * 3 + Math.floor(j / (kh * kw))] = v;
      else kernels[o * per + j] = v;
    }
  }
  const rgb = cin === 3;
  const filterGrid = imageGrid(new Tensor(kernels, rgb ? [out, per] : [out * cin, kh * kw]), {
    imageShape: rgb ? [kh, kw, 3] : [kh, kw],
    cols: rgb || cin === 1 ? Math.min(16, out) : cin,
    scale: Math.max(4, Math.round(48 / Math.max(kh, kw))),
    pad: 2,
    margin: 2,
  });
  const write = (name: string, bytes: Uint8Array): string => {
    writeFileAtomic(run.file('figures', name), bytes);
    return `figures/${name}`;
  };
  const filtersPng = encodePng(filterGrid);
  const filters = {
    title: 'First-layer filters',
    caption: `The ${out} kernels of the first convolution (${cin} channel${cin > 1 ? 's' : ''}, ${kh}×${kw}), each stretched from its own smallest weight (black) to its largest (white).`,
    png: filtersPng,
    file: write('filters.png', filtersPng),
  };
  // The first test image through the network up to the first convolution's activation.
  const wasTraining = model.training;
  model.eval();
  let h = testX.sliceRows(0, 1);
  try {
    for (let i = 0; i <= Math.min(at + 1, model.modules.length - 1); i++) h = model.modules[i].forward(h);
  } finally {
    model.train(wasTraining);
  }
  const [, oc, oh, ow] = h.shape;
  const input = imageGrid(testX.sliceRows(0, 1), { imageShape: [imageShape[0], imageShape[1]], cols: 1, scale: 3, invert: true, margin: 2 });
  const maps = imageGrid(new Tensor(Float32Array.from(h.data), [oc, oh * ow]), {
    imageShape: [oh, ow],
    cols: Math.min(8, oc),
    scale: 2,
    pad: 2,
    range: 'auto',
    margin: 2,
  });
  const mapsPng = encodePng(stackRasters([input, maps], 8));
  const featureMaps = {
    title: 'Feature maps of a test image',
    caption: `The first test image (top) and the ${oc} maps the first convolution and its activation make of it (${oh}×${ow} each, on one grey scale from the smallest to the largest value).`,
    png: mapsPng,
    file: write('feature_maps.png', mapsPng),
  };
  return [{ heading: 'What the first convolution learned', figures: [filters, featureMaps] }];
}

/** The network as Keras's summary shows it: each layer's output shape and parameters (the course's formulas). */
function networkSection(model: Sequential, features: number): ReportSection {
  const s = summary(model, [1, features]);
  return {
    heading: 'The network',
    text: `${s.parameters.toLocaleString('en-US')} parameters. A convolution of C_in channels into C_out kernels of k_h×k_w has (k_h·k_w·C_in + 1)·C_out of them; its output is ⌊(n + 2p − k)/s⌋ + 1 wide for an input n wide, padding p and stride s.`,
    tables: [
      {
        columns: ['#', 'layer', 'output shape', 'parameters'],
        rows: s.rows.map((r) => [r.index, r.layer, `(N, ${r.output.slice(1).join(', ')})`, r.parameters]),
      },
    ],
  };
}

export function trainCnn(session: TrainSession<CnnConfig>): Training {
  const layers = parseArch(session.cfg.arch);
  let imageShape: readonly [number, number] = [0, 0];
  let channels = 1;
  return trainClassifier(session, {
    kind: 'cnn',
    build: (cfg, d, rng) => {
      if (d.imageShape === null)
        throw new UsageError(`train cnn: ${cfg.dataset} rows are not images; a CNN needs an image dataset (mnist, fashion-mnist, usps)`);
      imageShape = d.imageShape;
      const [ih, iw] = d.imageShape;
      channels = d.features / (ih * iw);
      if (!Number.isInteger(channels))
        throw new UsageError(`train cnn: ${cfg.dataset} rows have ${d.features} values, not a multiple of its ${ih}×${iw} images`);
      const input = [channels, ih, iw] as const;
      const arch = `${channels}×${ih}×${iw} ${layers.map(describeLayer).join('-')} ${d.classes}`;
      return {
        model: () => buildCnn(layers, { input, classes: d.classes, activation: cfg.activation, init: cfg.init, rng }),
        architecture: arch,
        needs: cnnNeeds(archParameters(layers, input, d.classes), cfg, input, arch),
      };
    },
    figures: (run, model, testX) => Promise.resolve([networkSection(model, testX.cols), ...cnnFigures(run, model, testX, imageShape)]),
  });
}
