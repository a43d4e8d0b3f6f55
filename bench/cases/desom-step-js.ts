/** Case desom-step-js: the desom-step case's training step on the pure-JS backend (no peer; for scale). */
import { useBackend } from '../../src/tensor/registry.js';
import { median, timeCalls, type BenchCase } from '../common.js';
import { makeDesomStep } from './desom-step.js';

export const desomStepJsCase: BenchCase = {
  name: 'desom-step-js',
  description: 'the DESOM step on the js backend (single thread, no peer)',
  run(ctx) {
    useBackend('js');
    const s = makeDesomStep(256, 0);
    s.step();
    const ours = median(timeCalls(() => s.step(), 3));
    ctx.log(`desom-step on js: ${ours.toFixed(0)} ms/step (${(s.flops / ours / 1e6).toFixed(2)} GFLOP/s)`);
    return [
      {
        case: 'desom-step-js',
        unit: 'ms',
        ours,
        peer: null,
        peer_name: null,
        ratio: null,
        env: { backend: 'js', threads: 1, openblas_core: null },
        detail: { gflops: s.flops / ours / 1e6 },
      },
    ];
  },
};
