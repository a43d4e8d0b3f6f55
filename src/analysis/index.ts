/** Analysis of trained networks: activation capture, per-layer clustering, cluster paths and their metrics (the activation signatures of Cluster Paths); anomaly scores of autoencoders and VAEs. */
export * from './capture.js';
export * from './layer-clusters.js';
export * from './paths.js';
export * from './path-metrics.js';
export * from './path-outliers.js';
export * from './anomaly.js';
