/**
 * Base of every error @flowtrace/core throws. `code` is a stable string that
 * callers (and other processes, via logs or wire replies) can match on.
 */
export abstract class FlowTraceCoreError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option object given to a core function is invalid. */
export class InvalidCoreOptionsError extends FlowTraceCoreError {
  readonly code = 'FLOWTRACE_INVALID_OPTIONS';
}
