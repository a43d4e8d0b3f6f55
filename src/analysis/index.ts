/** Analysis of trained networks: activation capture and per-layer clustering (the activation signatures of Cluster Paths). */
export * from './capture.js';
export * from './layer-clusters.js';
