import { FlowTracePersistenceError } from '../../domain/errors/FlowTracePersistenceError';

/**
 * Storage (or the rejected-candles log) could not make the candles durable:
 * disk full, I/O error, failed fsync, closed store. Retryable: nothing was
 * acknowledged, so the producer sends again (or falls back to the queue).
 */
export class StorageUnavailableError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_STORAGE_UNAVAILABLE';
  readonly retryable = true;
  /** The operating-system error code of the cause when there is one, e.g. `ENOSPC`, `EIO`. */
  readonly causeCode: string | undefined;

  constructor(what: string, cause: unknown) {
    const causeCode = systemErrorCode(cause);
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Storage unavailable: ${what} failed (${reason})`, { cause });
    this.causeCode = causeCode;
  }
}

function systemErrorCode(cause: unknown): string | undefined {
  if (typeof cause !== 'object' || cause === null) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
