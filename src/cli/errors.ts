/** Errors the CLI maps to exit codes: UsageError → 2 (bad flags, config or names); anything else → 1. */
export { UsageError } from '../runs/errors.js';
