import { FlowTraceIpcError } from '../../../shared/errors';

export class QueueMessageValidationError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_QUEUE_MESSAGE_INVALID';
  readonly retryable = false;
  /**
   * @param batchIndex position (0-based) of the message in the `enqueueBatch` call it failed,
   *   so that the caller can tell which one; undefined outside a batch
   * @param messageId its id, when it had a non-empty string one
   */
  constructor(
    readonly problems: readonly string[],
    readonly batchIndex?: number,
    readonly messageId?: string,
  ) {
    const where =
      batchIndex === undefined
        ? ''
        : ` at index ${batchIndex} of the batch${messageId === undefined ? '' : ` (id ${JSON.stringify(messageId)})`}`;
    super(`Invalid queue message${where}: ${problems.join('; ')}`);
  }
}

export class QueueClosedError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_QUEUE_CLOSED';
  readonly retryable = false;
}

/** A write asked of a queue opened with `readOnly: true`. */
export class QueueReadOnlyError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_QUEUE_READ_ONLY';
  readonly retryable = false;
}

/**
 * The queue file could not be opened or written (disk full, read-only or
 * unwritable filesystem, I/O error, locked beyond the busy timeout). Nothing
 * was stored by the failed call. `sqliteCode` is SQLite's own code (e.g.
 * `SQLITE_FULL`, `SQLITE_CANTOPEN`) when there was one; `cause` the original.
 * Retryable: the same call may succeed once the condition is gone.
 */
export class QueueUnavailableError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_QUEUE_UNAVAILABLE';
  readonly retryable = true;
  readonly sqliteCode: string | undefined;
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    const code = (cause as { code?: unknown } | null)?.code;
    this.sqliteCode = typeof code === 'string' ? code : undefined;
  }
}
