/**
 * Normalized mutual information, as scikit-learn's `normalized_mutual_info_score` (natural logs):
 * NMI = I(T; P) / mean(H(T), H(P)), the mean chosen by `average`. Special cases as scikit-learn:
 * both labelings with a single value → 1; I = 0 otherwise → 0.
 */
import { contingencyFor } from './contingency.js';

/** How the two entropies are averaged: arithmetic (scikit-learn ≥ 0.22's default), geometric (before 0.22, DESOM's paper), min, max. */
export type NmiAverage = 'arithmetic' | 'geometric' | 'min' | 'max';

/** Shannon entropy (nats) of a vector of counts: −Σ (c/N)(ln c − ln N) (scikit-learn's grouping). */
export function entropyOfCounts(counts: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  const logN = Math.log(n);
  let h = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) h += (counts[i] / n) * (Math.log(counts[i]) - logN);
  return h === 0 ? 0 : -h;
}

/**
 * Mutual information (nats) of a contingency table: Σ (n_ck/N) ln(N·n_ck / (n_c·n_k)), with
 * scikit-learn's rounding: terms below float64 eps in magnitude count as 0, and the sum is clipped at 0.
 */
export function mutualInfoOfTable(table: Float64Array, nc: number, nk: number): number {
  if (nc === 1 || nk === 1) return 0;
  const rows = new Float64Array(nc);
  const cols = new Float64Array(nk);
  let n = 0;
  for (let c = 0; c < nc; c++) {
    for (let k = 0; k < nk; k++) {
      const v = table[c * nk + k];
      rows[c] += v;
      cols[k] += v;
      n += v;
    }
  }
  const logN = Math.log(n);
  let mi = 0;
  for (let c = 0; c < nc; c++) {
    for (let k = 0; k < nk; k++) {
      const v = table[c * nk + k];
      if (v === 0) continue;
      const p = v / n;
      // The same grouping of terms as scikit-learn (so that rounding agrees to the last digits).
      const term = p * (Math.log(v) - logN) + p * (-Math.log(rows[c] * cols[k]) + logN + logN);
      if (Math.abs(term) >= Number.EPSILON) mi += term;
    }
  }
  return mi > 0 ? mi : 0;
}

/** Mutual information I(T; P) in nats between two labelings. */
export function mutualInfo(labelsTrue: Int32Array, labelsPred: Int32Array): number {
  const { table, classes, clusters } = contingencyFor('mutualInfo', labelsTrue, labelsPred);
  return mutualInfoOfTable(table, classes.length, clusters.length);
}

/** NMI = I(T; P) / avg(H(T), H(P)); default average 'arithmetic'. */
export function nmi(labelsTrue: Int32Array, labelsPred: Int32Array, o: { average?: NmiAverage } = {}): number {
  const average = o.average ?? 'arithmetic';
  if (!Object.hasOwn(AVERAGES, average)) {
    throw new RangeError(`nmi: expected average 'arithmetic', 'geometric', 'min' or 'max', got ${JSON.stringify(average)}`);
  }
  const { table, classes, clusters } = contingencyFor('nmi', labelsTrue, labelsPred);
  const nc = classes.length;
  const nk = clusters.length;
  if (nc === 1 && nk === 1) return 1;
  const mi = mutualInfoOfTable(table, nc, nk);
  if (mi === 0) return 0;
  const rows = new Float64Array(nc);
  const cols = new Float64Array(nk);
  for (let c = 0; c < nc; c++) {
    for (let k = 0; k < nk; k++) {
      rows[c] += table[c * nk + k];
      cols[k] += table[c * nk + k];
    }
  }
  const ht = entropyOfCounts(rows);
  const hp = entropyOfCounts(cols);
  return mi / generalizedAverage(ht, hp, average);
}

/** The means of two entropies, by name (scikit-learn's `_generalized_average`). */
const AVERAGES: Record<NmiAverage, (a: number, b: number) => number> = {
  arithmetic: (a, b) => (a + b) / 2,
  geometric: (a, b) => Math.sqrt(a * b),
  min: (a, b) => Math.min(a, b),
  max: (a, b) => Math.max(a, b),
};

function generalizedAverage(a: number, b: number, average: NmiAverage): number {
  return AVERAGES[average](a, b);
}
