/** Statistics: descriptive summaries and Welch's t-test (with Student's t CDF and the incomplete beta function). */
export * from './summary.js';
export * from './welch.js';
