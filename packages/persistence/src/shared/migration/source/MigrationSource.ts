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
