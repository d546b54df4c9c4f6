import type {
  CandleStoragePort,
  SeriesInfo,
} from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import type { LegacyDefaultsReport } from '../../storage/serialization/flatbuffer/legacy/LegacyDefaultsTally';

/**
 * What a migration reads from: the read half of CandleStoragePort. Every store
 * qualifies, and so do the legacy readers (original `.ftcd` directory, original
 * SQLite candle database), which also say what they had to default.
 * `iterate` must stream each series in strictly ascending open time.
 */
export interface MigrationSource extends Pick<CandleStoragePort, 'listSeries' | 'iterate'> {
  /** Legacy readers: which absent fields got defaults, and in how many candles. */
  defaultsReport?(): LegacyDefaultsReport;
  /**
   * What the source left out of its reads: a legacy reader's undecodable or
   * duplicated rows (`{rule, key, message}`), a `.ftcd` store's damaged or
   * unreadable files (`{code, path, message}`). Read with `readSourceProblems`.
   */
  problems?(): readonly object[];
}

/** Something a source left out of its reads (see `MigrationSource.problems`). */
export interface SourceProblem {
  /** The legacy reader's rule or the store's problem code. */
  rule: string;
  /** The candle key (legacy rows) or file path (stores) concerned. */
  key: string;
  message: string;
}

/** The source's problems in one shape; none when it reports none. */
export function readSourceProblems(source: MigrationSource): SourceProblem[] {
  const found: SourceProblem[] = [];
  for (const problem of source.problems?.() ?? []) {
    const fields = problem as Record<string, unknown>;
    const rule = fields.rule ?? fields.code;
    const key = fields.key ?? fields.path;
    if (typeof rule !== 'string' || typeof key !== 'string' || typeof fields.message !== 'string') continue;
    found.push({ rule, key, message: fields.message });
  }
  return found;
}

export type { SeriesInfo };

/** `exchange:symbol:timeframe`, the series label used in progress, results and reports. */
export function seriesLabel(series: { exchange: string; symbol: string; timeframe: string }): string {
  return `${series.exchange}:${series.symbol}:${series.timeframe}`;
}

/** `exchange:symbol:timeframe:openTime`, the candle key label used in results and reports. */
export function candleLabel(candle: { ex: string; s: string; i: string; t: number }): string {
  return `${candle.ex}:${candle.s}:${candle.i}:${candle.t}`;
}
