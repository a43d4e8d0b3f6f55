/**
 * Adjusted Rand index (Hubert & Arabie 1985), as scikit-learn's `adjusted_rand_score` through the
 * pair confusion matrix: over the n² ordered pairs, tp = Σ n_ck² − n, fp/fn from the marginals,
 * ARI = 2(tp·tn − fn·fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)); 1 when fn = fp = 0.
 * Counts and products are exact (BigInt): the products exceed 2^53 from about 10⁴ samples on.
 */
import { contingencyFor } from './contingency.js';

/** ARI ∈ [−1, 1] (≈ 0 for random labelings, 1 for identical partitions up to renaming). */
export function ari(labelsTrue: Int32Array, labelsPred: Int32Array): number {
  const { table, classes, clusters } = contingencyFor('ari', labelsTrue, labelsPred);
  const nc = classes.length;
  const nk = clusters.length;
  const rows = new Float64Array(nc);
  const cols = new Float64Array(nk);
  let sumSq = 0n;
  for (let c = 0; c < nc; c++) {
    for (let k = 0; k < nk; k++) {
      const v = table[c * nk + k];
      rows[c] += v;
      cols[k] += v;
      if (v > 0) sumSq += BigInt(v) * BigInt(v);
    }
  }
  const n = BigInt(labelsTrue.length);
  let sumRows = 0n; // Σ_c n_c²
  for (let c = 0; c < nc; c++) sumRows += BigInt(rows[c]) * BigInt(rows[c]);
  let sumCols = 0n;
  for (let k = 0; k < nk; k++) sumCols += BigInt(cols[k]) * BigInt(cols[k]);
  const tp = sumSq - n;
  const fp = sumCols - sumSq;
  const fn = sumRows - sumSq;
  const tn = n * n - fp - fn - sumSq;
  if (fn === 0n && fp === 0n) return 1;
  const num = 2n * (tp * tn - fn * fp);
  const den = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  // Each conversion rounds once (relative error 2⁻⁵³); den > 0 whenever fn or fp is not 0.
  return Number(num) / Number(den);
}
