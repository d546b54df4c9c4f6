import { FlowTracePersistenceError } from '../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';

export class UnknownMessageTypeError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_UNKNOWN_MESSAGE_TYPE';
  readonly retryable = false;
  constructor(readonly messageType: string) {
    // Exact text of the original platform's reply.
    super(`Unknown message type: ${messageType}`);
  }
}

export class InvalidBatchPayloadError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_BATCH';
  readonly retryable = false;
}

/**
 * A `candle:batch` some of whose valid candles were not saved (their
 * partition refuses writes): the whole frame is answered as a retryable
 * failure, so a publisher that does not read per-item outcomes (HybridPublisher)
 * queues it instead of taking it as done. `responseData` is the batch ack
 * (`results[i]` per candle): the saved ones are durable, and sending the batch
 * again stores them once.
 */
export class BatchNotFullySavedError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_PARTITION_UNWRITABLE';
  readonly retryable = true;
  constructor(readonly responseData: { persisted: number; rejected: number; unsaved: number }) {
    super(
      `${responseData.unsaved} candle(s) of the batch not saved: their partition refuses writes (a quarantined file); ` +
        `${responseData.persisted} saved, ${responseData.rejected} rejected. Send the batch again later (saved candles are stored once)`,
    );
  }
}

/**
 * The rejected-candles log cannot be opened at start (its directory cannot be
 * created, the file cannot be opened for append). Found at start rather than
 * at the first rejection, where every invalid candle would otherwise be
 * answered as a retryable storage failure and retried from the queue forever.
 */
export class RejectedLogUnavailableError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_REJECTED_LOG_UNAVAILABLE';
  readonly retryable = false;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`Cannot open the rejected-candles log ${path}: ${(cause as Error).message}`, { cause });
  }
}
