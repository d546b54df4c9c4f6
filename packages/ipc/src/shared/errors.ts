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

/**
 * Reads `code`/`retryable` from anything thrown, with the defaults given, and
 * `responseData`: what a request handler's error wants in the error
 * response's `data` (e.g. per-item outcomes of a batch partly done).
 */
export function describeThrown(
  thrown: unknown,
  defaults: { code: string; retryable: boolean },
): { message: string; code: string; retryable: boolean; data?: unknown } {
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  let code = defaults.code;
  let retryable = defaults.retryable;
  let data: unknown;
  if (typeof thrown === 'object' && thrown !== null) {
    const record = thrown as { code?: unknown; retryable?: unknown; responseData?: unknown };
    if (typeof record.code === 'string' && record.code.length > 0) code = record.code;
    if (typeof record.retryable === 'boolean') retryable = record.retryable;
    data = record.responseData;
  }
  return data === undefined ? { message, code, retryable } : { message, code, retryable, data };
}
