/**
 * Peer of case umap-70k (bench/cases/umap-70k.ts): one UMAP fit with umap-js through the project's
 * seeded wrapper (`umap2d`, src/viz/projection.ts: umap-js's Math.random replaced by our Rng), run
 * in its own Node process (its own heap, JIT and GC) so it neither disturbs nor is disturbed by ours.
 * The conversion of the rows to number[][] that the wrapper does is inside the timed call.
 *
 *   node --import tsx bench/peers/umap_js.ts --data x.npy --n-neighbors 15 --min-dist 0.1 \
 *     --n-epochs 200 --seed 0 --out embedding.npy
 *
 * Prints one JSON line: {"ms", "n", "d", "n_epochs", "umap_js"}; writes the n×2 embedding (float32).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readNpy, tensorFromNpy, writeNpy } from '../../src/io/npy.js';
import { Rng } from '../../src/random.js';
import { umap2d } from '../../src/viz/projection.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    'n-neighbors': { type: 'string', default: '15' },
    'min-dist': { type: 'string', default: '0.1' },
    'n-epochs': { type: 'string' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
if (values.data === undefined || values.out === undefined || values['n-epochs'] === undefined) {
  process.stderr.write('umap_js.ts: --data, --n-epochs and --out are required\n');
  process.exit(2);
}
const x = tensorFromNpy(readNpy(values.data));
const nEpochs = Number(values['n-epochs']);
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(dirname(require.resolve('umap-js')), '..', 'package.json'), 'utf8')) as { version: string };
const t0 = performance.now();
const emb = umap2d(x, { rng: new Rng(Number(values.seed)), nNeighbors: Number(values['n-neighbors']), minDist: Number(values['min-dist']), nEpochs });
const ms = performance.now() - t0;
writeNpy(values.out, { dtype: 'f4', shape: [x.rows, 2], data: emb });
console.log(JSON.stringify({ ms, n: x.rows, d: x.cols, n_epochs: nEpochs, umap_js: pkg.version }));
