import type { CandleIssue } from '@flowtrace/core';
import type { IngestChannel } from '../../use-cases/PersistCandle/DTO';

/** One line of the rejected-candles log (docs/persistence.md, "Rejected-candles log"). */
export interface RejectedCandleEntry {
  /** ISO-8601 UTC time of the rejection. */
  time: string;
  channel: IngestChannel;
  messageId: string;
  candleId: string | undefined;
  reasons: readonly CandleIssue[];
  /** The payload exactly as received (after JSON parsing). */
  payload: unknown;
}

/** Append-only audit of every candle that was refused: nothing is dropped silently. */
export interface RejectedCandleLogPort {
  /** Resolves once the entries are durable (fsync'd); rejects when they are not. */
  append(entries: readonly RejectedCandleEntry[]): Promise<void>;
  close(): Promise<void>;
}
