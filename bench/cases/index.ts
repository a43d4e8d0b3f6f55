/** The benchmark cases, in the order `npm run bench` runs them and latest.json lists them. */
import type { BenchCase } from '../common.js';
import { aeEpochCase } from './ae-epoch.js';
import { aeInferenceCase } from './ae-inference.js';
import { bmuMnistCase } from './bmu-mnist.js';
import { cnnEpochCase } from './cnn-epoch.js';
import { convDesomStepCase } from './conv-desom-step.js';
import { convForwardBackwardCase } from './conv-forward-backward.js';
import { desomStepJsCase } from './desom-step-js.js';
import { desomStepWasmCase } from './desom-step-wasm.js';
import { desomStepBf16Case, desomStepCase } from './desom-step.js';
import { desomTrainBf16Case, desomTrainCase } from './desom-train.js';
import { explorerScatterCase } from './explorer-scatter.js';
import { explorerLoadCase } from './explorer-load.js';
import { ganEpochCase } from './gan-epoch.js';
import { kmeansMnistCase } from './kmeans-mnist.js';
import { mlpEpochWasmCase } from './mlp-epoch-wasm.js';
import { sgemmCase } from './sgemm.js';
import { signaturesMnistCase } from './signatures-mnist.js';
import { umap70kCase } from './umap-70k.js';
import { vaeEpochCase } from './vae-epoch.js';

export const CASES: readonly BenchCase[] = [
  desomStepCase,
  desomStepBf16Case,
  desomStepJsCase,
  desomStepWasmCase,
  mlpEpochWasmCase,
  sgemmCase,
  aeInferenceCase,
  aeEpochCase,
  bmuMnistCase,
  kmeansMnistCase,
  umap70kCase,
  signaturesMnistCase,
  desomTrainCase,
  desomTrainBf16Case,
  explorerScatterCase,
  explorerLoadCase,
  cnnEpochCase,
  convForwardBackwardCase,
  convDesomStepCase,
  vaeEpochCase,
  ganEpochCase,
];
