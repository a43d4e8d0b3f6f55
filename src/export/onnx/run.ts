/**
 * Exporting a completed run's model to ONNX: the model loaded from the run's model/ folder by its
 * kind's loader, mapped by models.ts, written atomically (default `RUN/export/model.onnx`, or
 * `model-<part>.onnx` for a part).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadAutoencoder } from '../../ae/autoencoder-file.js';
import { loadDesom } from '../../desom/file.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { loadModel } from '../../io/model-file.js';
import { openRun, type RunInfo } from '../../runs/api.js';
import { UsageError } from '../../runs/errors.js';
import type { KindName } from '../../runs/kinds/index.js';
import { loadVae } from '../../vae/vae-file.js';
import { autoencoderToOnnx, desomToOnnx, ONNX_PARTS, sequentialToOnnx, vaeToOnnx, type OnnxModel, type OnnxPart } from './models.js';

/** The run kinds whose model exports, and the parts each offers (the first is the default). */
export const ONNX_RUN_PARTS: Readonly<Partial<Record<KindName, readonly OnnxPart[]>>> = {
  mlp: ['whole'],
  cnn: ['whole'],
  ae: ['whole', 'encoder', 'decoder'],
  vae: ['whole', 'encoder', 'decoder'],
  desom: ['whole', 'bmu', 'encoder', 'decoder'],
};

export interface RunOnnxOptions {
  /** The runs folder a run id is looked up in (default 'runs'). */
  out?: string;
  /** Which part of the model (default whole). */
  part?: string;
  /** Classifiers: also output `probabilities`, the softmax of the logits. */
  softmax?: boolean;
  /** Where to write (default RUN/export/model.onnx, or model-<part>.onnx for a part). */
  file?: string;
}

export interface RunOnnxResult extends Omit<OnnxModel, 'bytes'> {
  run_id: string;
  run_kind: string;
  part: OnnxPart;
  format: 'onnx';
  file: string;
  bytes: number;
}

function exportable(): string {
  return Object.keys(ONNX_RUN_PARTS).join(', ');
}

/** The model of `run` as ONNX, `part` already checked against its kind. */
function modelOf(run: RunInfo, kind: KindName, part: OnnxPart, softmax: boolean): OnnxModel {
  const dir = run.dir.file('model');
  const metadata = { run_id: run.id, run_kind: kind, ...(typeof run.config.dataset === 'string' ? { dataset: run.config.dataset } : {}) };
  const o = { part, metadata, name: `${kind}_${part}` };
  switch (kind) {
    case 'mlp':
    case 'cnn':
      return sequentialToOnnx(loadModel(dir), { ...o, outputName: 'logits', softmax });
    case 'ae':
      return autoencoderToOnnx(loadAutoencoder(dir), o);
    case 'vae':
      return vaeToOnnx(loadVae(dir), o);
    case 'desom':
      return desomToOnnx(loadDesom(dir), o);
    case 'som':
    case 'kmeans':
    case 'signatures':
    case 'gan':
      throw new UsageError(`export: run ${run.id} is a "${kind}" run; the ONNX export supports ${exportable()} runs`);
    default: {
      const never: never = kind;
      throw new Error(`internal: export: unhandled kind ${String(never)}`);
    }
  }
}

/**
 * Writes the ONNX model of the completed run `ref` (an id under `out`, or a path) and returns what
 * was written: the file, its size, the graph's inputs and outputs.
 */
export function exportRunOnnx(ref: string, o: RunOnnxOptions = {}): RunOnnxResult {
  let run: RunInfo;
  try {
    run = openRun(ref, o.out ?? 'runs');
  } catch (e) {
    throw new UsageError(`export: ${(e as Error).message.replace(/^RunDir\.open: /, '')}`, { cause: e });
  }
  const parts = Object.hasOwn(ONNX_RUN_PARTS, run.kind) ? ONNX_RUN_PARTS[run.kind as KindName] : undefined;
  if (parts === undefined) throw new UsageError(`export: run ${run.id} is a "${run.kind}" run; the ONNX export supports ${exportable()} runs`);
  if (run.status !== 'completed') throw new UsageError(`export: run ${run.id} is ${run.status}, not completed; it has no final model to export`);
  const part = (o.part ?? parts[0]) as OnnxPart;
  if (!parts.includes(part)) {
    const known = (ONNX_PARTS as readonly string[]).includes(part);
    throw new UsageError(
      `export: --part ${JSON.stringify(o.part)} ${known ? `is not a part of run ${run.id}'s ${run.kind} model` : 'is unknown'}; expected ${parts.length === 1 ? parts[0] : `one of ${parts.join(', ')}`}`,
    );
  }
  if (o.softmax === true && run.kind !== 'mlp' && run.kind !== 'cnn')
    throw new UsageError(`export: --softmax adds a classifier's probabilities (mlp, cnn runs); run ${run.id} is of kind "${run.kind}"`);
  const model = modelOf(run, run.kind as KindName, part, o.softmax === true);
  const file = resolve(o.file ?? join(run.path, 'export', part === 'whole' ? 'model.onnx' : `model-${part}.onnx`));
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, model.bytes);
  const { bytes, ...rest } = model;
  return { run_id: run.id, run_kind: run.kind, part, format: 'onnx', file, ...rest, bytes: bytes.length };
}
