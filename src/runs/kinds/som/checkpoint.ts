/**
 * A SOM run's checkpoints, in src/runs/checkpoint.ts's protocol: checkpoint/step-N/ holds the map
 * (saveSom: som.json + prototypes.npy), the gradient SOM's optimizer (optimizer.safetensors) and
 * state.json.
 */
import type { Optimizer } from '../../../optim/optimizer.js';
import { loadSom, saveSom } from '../../../som/som-file.js';
import type { SOM } from '../../../som/som.js';
import { optimizerReader, optimizerWriter, readCheckpoint, writeCheckpoint, type CheckpointState } from '../../checkpoint.js';

export function saveSomCheckpoint(dir: string, som: SOM, optimizer: Optimizer | null, state: CheckpointState): void {
  writeCheckpoint(dir, state, {
    som: (folder) => void saveSom(som, folder),
    ...(optimizer === null ? {} : { optimizer: optimizerWriter(optimizer) }),
  });
}

/** The last checkpoint's map, its optimizer (`optimizerFor` builds it over the map's prototypes; null for none) and state. */
export function loadSomCheckpoint(
  dir: string,
  optimizerFor: (som: SOM) => Optimizer | null,
): { som: SOM; optimizer: Optimizer | null; state: CheckpointState } {
  const ck = readCheckpoint(dir);
  const som = ck.read('som', loadSom);
  const optimizer = optimizerFor(som);
  if (optimizer !== null) ck.read('optimizer', optimizerReader(optimizer));
  return { som, optimizer, state: ck };
}
