/** A user-facing CLI failure: printed without a stack trace, exits with `exitCode`. */
export class CliError extends Error {
  readonly code = 'FLOWTRACE_CLI';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
