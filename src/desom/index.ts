/** DESOM (seed 000): the model, its objective, training, and files (model.ts describes it). */
export {
  PROTOTYPE_INITS,
  DESOM_BATCH_ORDERS,
  DESOM_DEFAULTS,
  resolveDesomConfig,
  DESOM,
  initDesomPrototypes,
  desomOptimizer,
  desomArchitecture,
  type PrototypeInit,
  type DesomBatchOrder,
  type DesomModelOptions,
  type DesomConfig,
} from './model.js';
export * from './objective.js';
export * from './steps.js';
export * from './file.js';
