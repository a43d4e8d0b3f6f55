/** Clustering and regression metrics (MAE, MSE, RMSE, R²): contingency table, purity, NMI, ARI, plain and unsupervised accuracy; the suites runs record (partition, k-means). */
export * from './contingency.js';
export * from './purity.js';
export * from './nmi.js';
export * from './ari.js';
export * from './accuracy.js';
export * from './regression.js';
export * from './roc.js';
export * from './unsupervised-accuracy.js';
export * from './prototype-kmeans.js';
export * from './collapse.js';
export * from './suites.js';
