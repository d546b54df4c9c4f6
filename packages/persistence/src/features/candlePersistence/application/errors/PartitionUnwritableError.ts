import { FlowTracePersistenceError } from '../../domain/errors/FlowTracePersistenceError';

/**
 * The store refused this candle's partition (a `.ftcd` file quarantined for
 * corruption in the middle: its valid candles stay readable, writes to it are
 * refused until an operator repairs it) while the other candles of the same
 * request or batch were saved. Retryable: the candle was not acknowledged, so
 * the producer keeps it (a publisher queues it, the queue retries it) until
 * the partition accepts writes again.
 */
export class PartitionUnwritableError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_PARTITION_UNWRITABLE';
  readonly retryable = true;

  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Not saved: ${reason}. Kept for a retry until the partition is repaired`, { cause });
  }
}
