import type { FootprintCandleDTO, TimeframeName } from '@flowtrace/core';
import type { CandleRange } from '../../../../../shared/storage/candle/CandleRange';

/** Options of a range read. Times are candle open times, epoch ms, both bounds inclusive. */
export interface CandleQueryOptions {
  /** Earliest open time to return (inclusive). Default: the beginning of the series. */
  startTime?: number;
  /** Latest open time to return (inclusive). Default: the end of the series. */
  endTime?: number;
  /** At most this many candles (after ordering). Default: no limit. */
  limit?: number;
  /** `asc` (oldest first, default) or `desc` (newest first). */
  order?: 'asc' | 'desc';
}

/** One stored series and what it holds. */
export interface SeriesInfo {
  exchange: string;
  symbol: string;
  timeframe: TimeframeName;
  /** Open time of the oldest stored candle, epoch ms. */
  firstOpenTime: number;
  /** Open time of the newest stored candle, epoch ms. */
  lastOpenTime: number;
  /** Number of distinct candles (keys) stored. */
  count: number;
}

/** Which series and time range an iteration streams. Omitted filters match everything. */
export interface CandleIterationOptions {
  exchange?: string;
  symbol?: string;
  timeframe?: TimeframeName;
  startTime?: number;
  endTime?: number;
}

/** Outcome of a durable save. */
export interface SaveResult {
  /** Candles written (new keys or replaced versions). */
  written: number;
  /** Candles identical to what was already stored: a no-op. */
  unchanged: number;
}

/**
 * How a `saveMany` rejects when only some of its candles could not be saved
 * because their partition refuses writes (the `.ftcd` adapter's
 * PartitionQuarantinedError): the other candles ARE durable. `refusedIndexes`
 * are positions in the call's input. Any other rejection means nothing of the
 * call is reported durable.
 */
export interface PartialSaveRejection {
  readonly refusedIndexes: readonly number[];
  readonly saved: SaveResult;
}

/** Whether a save's rejection is a PartialSaveRejection naming at least one refused candle. */
export function isPartialSaveRejection(error: unknown): error is PartialSaveRejection {
  if (typeof error !== 'object' || error === null) return false;
  const { refusedIndexes, saved } = error as { refusedIndexes?: unknown; saved?: unknown };
  return (
    Array.isArray(refusedIndexes) &&
    refusedIndexes.length > 0 &&
    typeof saved === 'object' &&
    saved !== null &&
    typeof (saved as { written?: unknown }).written === 'number' &&
    typeof (saved as { unchanged?: unknown }).unchanged === 'number'
  );
}

/**
 * Where candles are kept. Every adapter (`.ftcd` block files, FlatBuffer blocks
 * in SQLite, in memory) implements this and passes the one shared contract suite.
 *
 * Semantics every adapter guarantees:
 * - `save` / `saveMany` resolve only when the candles are durable (fsync'd);
 *   concurrent saves share one fsync (group commit). They reject, and nothing is
 *   reported durable, when the write or the fsync fails. (Only exception: a
 *   PartialSaveRejection, above.)
 * - One candle per key `(exchange, symbol, timeframe, openTime)`: saving an
 *   identical candle again is a no-op; saving a different one replaces it, and
 *   reads return the latest version.
 * - Reads return plain `FootprintCandleDTO` objects equal (`Object.is` on every
 *   number) to what was saved.
 * - A read naming a series no store can hold (an exchange or symbol that is not
 *   a safe name, an unknown timeframe such as `1M`; an `iterate()` filter
 *   likewise) rejects with FLOWTRACE_INVALID_CANDLE_KEY, as a save of such a
 *   candle; a valid series without data reads as empty.
 */
export interface CandleStoragePort {
  save(candle: FootprintCandleDTO): Promise<SaveResult>;
  saveMany(candles: readonly FootprintCandleDTO[]): Promise<SaveResult>;
  findBySymbol(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<FootprintCandleDTO[]>;
  /** The `n` newest candles of a series, oldest first. */
  findLatest(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    n: number,
  ): Promise<FootprintCandleDTO[]>;
  /**
   * Optional: `findBySymbol` as a columnar view (`CandleRange`) that builds a
   * candle object only when asked for. Adapters that decode columns implement
   * it; callers use `findCandleRange(store, ...)`, which falls back to
   * `findBySymbol` for adapters without it (a user's own port, for one).
   */
  findRange?(
    symbol: string,
    exchange: string,
    timeframe: TimeframeName,
    options?: CandleQueryOptions,
  ): Promise<CandleRange>;
  listSeries(): Promise<SeriesInfo[]>;
  /** Streams candles (series by series, ascending open time) in bounded memory. */
  iterate(options?: CandleIterationOptions): AsyncIterable<FootprintCandleDTO>;
  /** Resolves when everything accepted so far is durable. */
  flush(): Promise<void>;
  /** Flushes, then releases every file handle and database. Idempotent. */
  close(): Promise<void>;
}
