/**
 * Every error thrown by @flowtrace/ipc extends FlowTraceIpcError and carries a
 * stable string `code` and whether retrying the same operation later may succeed.
 */
export abstract class FlowTraceIpcError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidOptionsError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_INVALID_OPTIONS';
  readonly retryable = false;
  constructor(
    what: string,
    readonly issues: readonly string[],
  ) {
    super(`Invalid ${what} options: ${issues.join('; ')}`);
  }
}

/** Reads `code`/`retryable` from anything thrown, with the defaults given. */
export function describeThrown(
  thrown: unknown,
  defaults: { code: string; retryable: boolean },
): { message: string; code: string; retryable: boolean } {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  let code = defaults.code;
  let retryable = defaults.retryable;
  if (typeof thrown === 'object' && thrown !== null) {
    const record = thrown as { code?: unknown; retryable?: unknown };
    if (typeof record.code === 'string' && record.code.length > 0) code = record.code;
    if (typeof record.retryable === 'boolean') retryable = record.retryable;
  }
  return { message, code, retryable };
}
