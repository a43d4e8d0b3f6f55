/**
 * The live snapshot of a training desom run, for the explorer's map of a running run: at each
 * periodic evaluation, the map as it stands goes to arrays/ —
 *
 * - live_prototypes.npy (K × latent, f4) and live_decoded_prototypes.npy (K × input features, f4);
 * - live_hits.npy (K, i4): how many of the evaluated rows each cell wins;
 * - live_class_counts.npy (K × classes, i4): those rows per cell and class (the class map).
 *
 * Each file is written atomically (a reader never sees half of one), all of them before the eval
 * record that announces them (`snapshot: true`). Nothing here draws a random number or changes the
 * model's parameters, so a run is the same with or without its snapshots. A completed run's are
 * deleted (its final arrays say more); an interrupted or failed run keeps those of its last
 * evaluation, and a resumed run overwrites them at its next one.
 */
import { rmSync } from 'node:fs';
import type { DESOM } from '../../../desom/model.js';
import { writeNpy } from '../../../io/npy.js';
import type { RunDir } from '../../run-dir.js';

/** The snapshot's arrays (arrays/<name>.npy). */
export const LIVE_ARRAYS = ['live_prototypes', 'live_decoded_prototypes', 'live_hits', 'live_class_counts'] as const;

/**
 * Writes the snapshot of `model`: `bmus` and `labels` are the evaluated rows' cells and classes
 * (labels in 0..classes − 1).
 */
export function writeLiveSnapshot(run: RunDir, model: DESOM, bmus: Int32Array, labels: Int32Array, classes: number): void {
  const K = model.size;
  const hits = new Int32Array(K);
  const counts = new Int32Array(K * classes);
  for (let i = 0; i < bmus.length; i++) {
    hits[bmus[i]]++;
    counts[bmus[i] * classes + labels[i]]++;
  }
  const decoded = model.decodePrototypes();
  const file = (name: (typeof LIVE_ARRAYS)[number]): string => run.file('arrays', `${name}.npy`);
  writeNpy(file('live_prototypes'), { dtype: 'f4', shape: [K, model.config.latent], data: model.prototypes.data });
  writeNpy(file('live_decoded_prototypes'), { dtype: 'f4', shape: [K, decoded.cols], data: decoded.data });
  writeNpy(file('live_hits'), { dtype: 'i4', shape: [K], data: hits });
  writeNpy(file('live_class_counts'), { dtype: 'i4', shape: [K, classes], data: counts });
}

/** Deletes the snapshot (a completed run's final arrays replace it). */
export function removeLiveSnapshot(run: RunDir): void {
  for (const name of LIVE_ARRAYS) rmSync(run.file('arrays', `${name}.npy`), { force: true });
}
