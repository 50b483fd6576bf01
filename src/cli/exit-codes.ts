/** The plugin's exit codes, the same for every command, for scripts (listed in --help and the README). */
export const EXIT = {
  ok: 0,
  /**
   * The answer is "no": status found an object Stalled or Failing; diff found the cloud differs
   * from the spec; extend was refused; reconcile --wait got no answer in time.
   */
  findings: 1,
  /** A bad command line: unknown command or flag, a malformed KIND/NAME or duration. */
  usage: 2,
  /** The object does not exist, or the user's credentials or RBAC do not allow what the command needs. */
  denied: 3,
  /** The API server could not be reached, or failed. */
  apiError: 4,
  /** The plugin itself failed unexpectedly: a bug, reported with its stack. */
  internal: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the plugin explains in one line and ends with its exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, EXIT.usage);
}
