/** Clustering: k-means (Lloyd, k-means++), the Hungarian assignment, silhouettes, label helpers. */
export * from './kmeans.js';
export { kmeansPlusPlus, plusPlusTrials } from './kmeans-init.js';
export * from './hungarian.js';
export * from './silhouette.js';
export * from './labels.js';
