/**
 * Reuters-10k as used by DEC, IDEC and DESOM: 10,000 RCV1 documents × 2,000 tf-idf features,
 * 4 classes (CCAT, GCAT, MCAT, ECAT → 0..3). The original `reutersidf10k.npy` is a pickled dict
 * ({'data', 'label'}) that only numpy can open, so convert it once into two plain .npy files:
 *
 *   python3 -c "import numpy as np; d=np.load('reutersidf10k.npy', allow_pickle=True).item(); np.save('reuters10k-data.npy', d['data'].astype('float32')); np.save('reuters10k-labels.npy', d['label'].astype('int64'))"
 *
 * No public copy of the data could be found, so none is downloaded; see docs/datasets.md.
 */
import { Tensor } from '../tensor/tensor.js';
import { readNpy, tensorFromNpy, type NpyArray } from '../io/npy.js';

/** Number of Reuters-10k classes; labels are 0 … REUTERS_CLASSES − 1. */
export const REUTERS_CLASSES = 4;

function labelValue(a: NpyArray, i: number): number {
  const v = a.data[i];
  return typeof v === 'bigint' ? Number(v) : v;
}

/**
 * Loads Reuters-10k from the two converted .npy files: `x` is n × d float32 (any d; 2,000 for the
 * DEC version), `labels` are 0..3. Data must be f4 or f8; labels any integer dtype, or floats with
 * integral values.
 */
export function loadReuters10k(dataPath: string, labelsPath: string): { x: Tensor; labels: Int32Array } {
  const fn = 'loadReuters10k';
  const data = readNpy(dataPath);
  const lab = readNpy(labelsPath);
  if (data.dtype !== 'f4' && data.dtype !== 'f8') {
    throw new Error(`${fn}: ${dataPath} has dtype '${data.dtype}'; expected float tf-idf values (f4 or f8)`);
  }
  if (data.shape.length !== 2) {
    throw new RangeError(`${fn}: ${dataPath} has shape [${data.shape.join(', ')}]; expected a 2-D (documents × features) array`);
  }
  if (lab.shape.length !== 1) {
    throw new RangeError(`${fn}: ${labelsPath} has shape [${lab.shape.join(', ')}]; expected a 1-D array of labels`);
  }
  const [n, d] = data.shape;
  if (lab.shape[0] !== n) {
    throw new RangeError(`${fn}: ${dataPath} has ${n} rows but ${labelsPath} has ${lab.shape[0]} labels`);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labelValue(lab, i);
    if (!Number.isInteger(v) || v < 0 || v >= REUTERS_CLASSES) {
      throw new RangeError(`${fn}: ${labelsPath} has label ${v} at index ${i}; expected an integer class 0..${REUTERS_CLASSES - 1}`);
    }
    labels[i] = v;
  }
  const x = tensorFromNpy(data);
  // A NaN/inf tf-idf value means a broken conversion; it would silently poison every distance.
  for (let k = 0; k < x.data.length; k++) {
    if (!Number.isFinite(x.data[k])) {
      throw new RangeError(`${fn}: ${dataPath} has value ${data.data[k]} at row ${Math.floor(k / d)}, column ${k % d}; expected a finite float32`);
    }
  }
  return { x, labels };
}
