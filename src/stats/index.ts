/** Statistics: descriptive summaries, Welch's t-test (with Student's t CDF and the incomplete beta function) and PCA. */
export * from './summary.js';
export * from './welch.js';
export * from './pca.js';
