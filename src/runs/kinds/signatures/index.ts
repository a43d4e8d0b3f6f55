/** The signatures run kind: the activation signatures of a trained classifier (Cluster Paths). */
import type { EvalRequest, RunEvaluation, RunKind } from '../../kind.js';
import { UsageError } from '../../errors.js';
import { signaturesConfigSchema, type SignaturesConfig } from './config.js';
import { trainSignatures } from './train.js';

export { signaturesConfigSchema, type SignaturesConfig } from './config.js';

/** A signatures run has no model of its own to score: its numbers are in its summary. */
function evaluate(r: EvalRequest): Promise<RunEvaluation> {
  return Promise.reject(
    new UsageError(
      `eval: run ${r.run.id} is a signatures run (an analysis of ${String(r.config.model)}); its metrics are in its summary: latentlab runs show ${r.run.id}`,
    ),
  );
}

export const signaturesKind: RunKind<SignaturesConfig> = {
  name: 'signatures',
  command: 'signatures',
  description:
    "the activation signatures of a classifier run: each hidden layer's outputs clustered, every input's path through the clusters (Sankey), their metrics, outliers and inserted classes",
  schema: signaturesConfigSchema,
  argument: { key: 'model', name: 'run' },
  resumable: false,
  headline: ['weighted_path_purity', 'decision_alignment'],
  train: trainSignatures,
  evaluate,
};
