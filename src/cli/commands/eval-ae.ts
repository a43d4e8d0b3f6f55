/**
 * `latentlab eval RUN` for an autoencoder run: reloads model/ and reports the reconstruction MSE
 * (mean over every pixel, as PyTorch's MSELoss) on the chosen split: `mse` on train, `test_mse`
 * on test, `all_mse` on both.
 */
import { loadAutoencoder } from '../../ae/autoencoder-file.js';
import { reconstructionMse } from '../../ae/train.js';
import { loadDataset } from '../../data/fetch.js';
import type { Output } from '../output.js';
import type { EvalContext } from './eval.js';

export async function evalAe(ctx: EvalContext, out: Output): Promise<number> {
  const ae = loadAutoencoder(ctx.run.file('model'));
  const data = await loadDataset(ctx.dataset, { split: ctx.split, dataDir: ctx.dataDir });
  if (data.x.cols !== ae.options.input) {
    throw new RangeError(`eval: run ${ctx.run.id}'s autoencoder takes ${ae.options.input} features, but ${ctx.dataset} has ${data.x.cols}`);
  }
  const mse = reconstructionMse(ae, data.x);
  const metrics = { [`${ctx.prefix}mse`]: mse };
  out.line(`run ${ctx.run.id} on ${ctx.dataset} (${ctx.split}, ${data.x.rows} rows)`);
  out.line(`  reconstruction MSE  ${mse.toFixed(5)}`);
  out.result({ run_id: ctx.run.id, split: ctx.split, rows: data.x.rows, metrics });
  return 0;
}
