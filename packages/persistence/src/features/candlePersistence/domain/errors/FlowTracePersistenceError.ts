/**
 * Every error @flowtrace/persistence throws on purpose extends this: a stable
 * string `code` for programs, and whether the same operation may succeed later.
 * The socket consumer copies both onto the wire (`code`, `retryable`).
 */
export abstract class FlowTracePersistenceError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
