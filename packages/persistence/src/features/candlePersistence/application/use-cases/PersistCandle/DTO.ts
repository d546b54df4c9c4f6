import type { CandleIssue } from '@flowtrace/core';
import type { PartitionUnwritableError } from '../../errors/PartitionUnwritableError';

/** Where a candle came in: the Unix socket, the SQLite fallback queue, or a direct API call. */
export type IngestChannel = 'socket' | 'queue' | 'api';

export interface PersistCandleRequest {
  /** The untrusted candle payload (a parsed FootprintCandle DTO). */
  payload: unknown;
  channel: IngestChannel;
  /** Id of the carrying message (socket request id or queue message_id), for the audit log. */
  messageId: string;
  /**
   * For a candle of a message that carries several (`candle:batch`, whose
   * candles have the messageId `<batchId>#<index>`): that message's id. Such a
   * message is acknowledged or sent again whole; the use case counts its valid
   * candles in the error rate once it is acknowledged (none of them `unsaved`),
   * not at each attempt. Absent: the candle is a message of its own.
   */
  batchId?: string;
}

export type PersistCandleOutcome = PersistedCandle | RejectedCandle | UnsavedCandle;

export interface PersistedCandle {
  status: 'persisted';
  /** `exchange:symbol:timeframe:openTime`. */
  candleId: string;
  /** Epoch ms at which the candle was known durable. */
  persistedAt: number;
  /** Soft issues accepted in non-strict mode. */
  warnings: readonly CandleIssue[];
  /**
   * Present when this incomplete candle (`x: false`, from the queue) was not
   * written because a complete version of its key is stored (or being stored).
   */
  superseded?: true;
}

export interface RejectedCandle {
  status: 'rejected';
  candleId: string | undefined;
  issues: readonly CandleIssue[];
  /** Epoch ms at which the rejection was durably recorded in the rejected-candles log. */
  recordedAt: number;
}

/**
 * Valid, but its partition refused writes (quarantined) while the rest of the
 * batch was saved. Not acknowledged: the producer keeps it and sends it again
 * (the error is retryable).
 */
export interface UnsavedCandle {
  status: 'unsaved';
  candleId: string;
  error: PartitionUnwritableError;
}
