import type { TimeframeName } from '@flowtrace/core';
import type {
  CandleQueryOptions,
  CandleStoragePort,
} from '../../../features/candlePersistence/application/ports/out/CandleStoragePort';
import { CandleRange } from './CandleRange';

/**
 * A range query as a `CandleRange` from any store: its own columnar
 * `findRange` when it has one, else `findBySymbol`'s candles wrapped.
 */
export function findCandleRange(
  store: CandleStoragePort,
  symbol: string,
  exchange: string,
  timeframe: TimeframeName,
  options?: CandleQueryOptions,
): Promise<CandleRange> {
  if (store.findRange) return store.findRange(symbol, exchange, timeframe, options);
  return store.findBySymbol(symbol, exchange, timeframe, options).then(CandleRange.fromCandles);
}
