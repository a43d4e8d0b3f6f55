/**
 * A request the runs API cannot carry out as asked: a bad config value, a run that cannot be
 * resumed, an encoder run of the wrong kind. The CLI exits with code 2 on it (1 on any other error).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
