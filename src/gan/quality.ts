/**
 * How good a generator's images are, measured by a judge: a classifier trained on the real images
 * (any network whose output is one logit per class and whose input is images with pixels in
 * [0, 1], e.g. the model of a `train cnn` run). For N generated images, we report
 *
 * - the confident share: the share the judge classifies with a softmax probability ≥ 0.9 (a digit
 *   the judge is sure of, rather than a blot between classes);
 * - for a conditional GAN, the class match: the share classified as the class G was asked for
 *   (image i asked for class i mod K, so every class is asked equally often);
 * - how the judge's classes spread over the samples (a generator stuck on a few digits, "mode
 *   collapse", shows as a few tall bars).
 *
 * The same numbers on real test images (judgeImages) are the ceiling to compare with: a judge is
 * not sure of every real digit either.
 */
import type { Module } from '../nn/module.js';
import type { Rng } from '../random.js';
import { Tensor, expect2d } from '../tensor/tensor.js';
import type { Gan } from './models.js';

/** The default probability a judge must give its class for an image to count as confidently classified. */
export const JUDGE_THRESHOLD = 0.9;

/** What a judge made of a set of images. */
export interface JudgeVerdict {
  images: number;
  threshold: number;
  /** Share of images whose largest softmax probability is ≥ threshold. */
  confidentShare: number;
  /** Share classified as the requested class (null when no classes were requested). */
  classMatch: number | null;
  /** Mean of the largest softmax probability. */
  meanConfidence: number;
  /** How many images the judge put in each class. */
  counts: Int32Array;
  /** Each image's class and its probability. */
  predictions: Int32Array;
  confidence: Float32Array;
}

/**
 * The judge's verdict on image rows with pixels in [0, 1] (eval mode, batches): its class, the
 * softmax probability of that class, and the shares above; `requested` gives each image's wanted class.
 */
export function judgeImages(judge: Module, images: Tensor, o: { threshold?: number; requested?: Int32Array; batchSize?: number } = {}): JudgeVerdict {
  const fn = 'judgeImages';
  expect2d(fn, images);
  const threshold = o.threshold ?? JUDGE_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`${fn}: expected a threshold in (0, 1], got ${threshold}`);
  const n = images.rows;
  if (n === 0) throw new RangeError(`${fn}: expected at least one image, got 0`);
  if (o.requested !== undefined && o.requested.length !== n)
    throw new RangeError(`${fn}: expected ${n} requested classes (one per image), got ${o.requested.length}`);
  const batch = o.batchSize ?? 500;
  const predictions = new Int32Array(n);
  const confidence = new Float32Array(n);
  let classes = 0;
  const was = judge.training;
  judge.eval();
  try {
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const logits = judge.forward(images.sliceRows(s, e));
      if (logits.rank !== 2 || logits.rows !== e - s)
        throw new RangeError(`${fn}: expected the judge to output one row of class logits per image, got [${logits.shape.join(', ')}]`);
      classes = logits.cols;
      for (let r = 0; r < e - s; r++) {
        // softmax's largest probability = 1 / Σ_c e^(z_c − z_max)
        const row = logits.data.subarray(r * classes, (r + 1) * classes);
        let best = 0;
        for (let c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
        let sum = 0;
        for (let c = 0; c < classes; c++) sum += Math.exp(row[c] - row[best]);
        predictions[s + r] = best;
        confidence[s + r] = 1 / sum;
      }
    }
  } finally {
    judge.train(was);
  }
  const counts = new Int32Array(classes);
  let confident = 0;
  let match = 0;
  let sumConf = 0;
  for (let i = 0; i < n; i++) {
    counts[predictions[i]]++;
    if (confidence[i] >= threshold) confident++;
    if (o.requested !== undefined && predictions[i] === o.requested[i]) match++;
    sumConf += confidence[i];
  }
  return {
    images: n,
    threshold,
    confidentShare: confident / n,
    classMatch: o.requested === undefined ? null : match / n,
    meanConfidence: sumConf / n,
    counts,
    predictions,
    confidence,
  };
}

/** Image rows of a generator's range [−1, 1] as pixels in [0, 1] (a fresh tensor). */
export function toUnitRange(x: Tensor): Tensor {
  const out = Tensor.zeros(x.shape);
  for (let i = 0; i < x.size; i++) out.data[i] = (x.data[i] + 1) / 2;
  return out;
}

export interface GanQualityOptions {
  /** Images to generate (N). */
  samples: number;
  /** Draws their latent vectors. */
  rng: Rng;
  /** See JUDGE_THRESHOLD. */
  threshold?: number;
  batchSize?: number;
}

/** The judge's verdict on N generated images, and the classes they were asked for (conditional GAN: i mod K; otherwise null). */
export interface GanQuality extends JudgeVerdict {
  requested: Int32Array | null;
}

/** Generates N images (z from `rng`; for a conditional GAN, image i of class i mod K) and has `judge` classify them (see the file's comment). */
export function ganQuality(gan: Gan, judge: Module, o: GanQualityOptions): GanQuality {
  const fn = 'ganQuality';
  if (!Number.isSafeInteger(o.samples) || o.samples < 1) throw new RangeError(`${fn}: expected samples to be a positive integer, got ${o.samples}`);
  const k = gan.options.classes;
  const requested = k > 0 ? Int32Array.from({ length: o.samples }, (_, i) => i % k) : null;
  const z = gan.sampleLatent(o.samples, o.rng);
  const images = toUnitRange(gan.generate(z, requested ?? undefined, o.batchSize));
  const verdict = judgeImages(judge, images, { threshold: o.threshold, requested: requested ?? undefined, batchSize: o.batchSize });
  if (k > 0 && verdict.counts.length !== k)
    throw new RangeError(`${fn}: the judge tells ${verdict.counts.length} classes apart, the conditional GAN generates ${k}`);
  return { ...verdict, requested };
}
