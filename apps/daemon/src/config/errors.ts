/** A problem with the command line: exit code 2. */
export class UsageError extends Error {
  readonly code = 'FLOWTRACE_DAEMON_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A problem with the configuration file or environment: exit code 78. */
export class DaemonConfigError extends Error {
  readonly code = 'FLOWTRACE_DAEMON_CONFIG';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DaemonConfigError';
  }
}
