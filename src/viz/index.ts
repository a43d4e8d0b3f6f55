export * from './raster.js';
export * from './png.js';
export * from './palette.js';
export * from './format.js';
export * from './image-grid.js';
export * from './charts.js';
export * from './som-maps.js';
export * from './projection.js';
export * from './report.js';
export * from './report-script.js';
export * from './svg-check.js';
export * from './ae-figures.js';
export * from './som-figures.js';
export * from './sankey.js';
export * from './perceptron-figures.js';
export * from './anomaly-figures.js';
export {
  umap,
  knnExact,
  smoothKnnDistances,
  fuzzySimplicialSet,
  umapCurve,
  defaultUmapEpochs,
  type UmapOptions,
  type KnnResult,
  type FuzzyGraph,
} from './umap.js';
