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

/**
 * How many rejections a log remembers as recorded (JsonlRejectedCandleLog),
 * and the use case as recorded but not counted yet: one bound, so that a key
 * the use case forgets the log has forgotten too (its retry is then written
 * and counted again rather than never counted). A key is 128 bits of a
 * digest, about 60 bytes of heap: 4 MB each when full.
 */
export const REMEMBERED_REJECTIONS = 65_536;

/** What `append` did with one entry. */
export interface RejectionRecord {
  /**
   * The rejection's identity: its message id, candle id, reasons and payload
   * (not its time nor its channel). A retry of the same message rejects its
   * candles again under the same keys.
   */
  readonly key: string;
  /**
   * true: this append wrote the entry's line. false: an equal entry was on
   * record already (a retry of its message), and no line was written.
   */
  readonly written: boolean;
}

/** Append-only audit of every candle that was refused: nothing is dropped silently. */
export interface RejectedCandleLogPort {
  /**
   * Resolves once the entries are durable (fsync'd), with one record per
   * entry, in order: whether its line was written now or was on record
   * already. Rejects when they are not durable. The log is what decides that
   * a rejection is already recorded: the use case counts (metrics, error
   * rate) the rejections it reports written, so a retry counts once.
   */
  append(entries: readonly RejectedCandleEntry[]): Promise<readonly RejectionRecord[]>;
  close(): Promise<void>;
}
