import type { FootprintCandleDTO } from '../candle/FootprintCandleDTO';
import type { TimeframeName } from '../timeframe/timeframes';
import type { Trade } from '../trade/Trade';
import { FootprintBuilder, type FootprintBuilderOptions } from './FootprintBuilder';

export interface AggregateTradesOptions extends FootprintBuilderOptions {
  /**
   * What to do with the last candle of each timeframe, whose period the
   * trades do not prove is over: `'open'` (default) returns it with `x: false`,
   * `'complete'` returns it with `x: true` (the caller knows the data ends
   * after its period), `'omit'` leaves it out.
   */
  trailing?: 'open' | 'complete' | 'omit';
}

/**
 * Builds the candles of every requested timeframe from time-ordered trades.
 * Result order: by the order of `timeframes`, then by open time.
 */
export function aggregateTrades(
  trades: Iterable<Trade>,
  options: AggregateTradesOptions,
): FootprintCandleDTO[] {
  const builder = new FootprintBuilder(options);
  const candles: FootprintCandleDTO[] = [];
  for (const trade of trades) {
    for (const candle of builder.push(trade)) candles.push(candle);
  }
  return finish(builder, candles, options);
}

/** Async counterpart for streamed trades (e.g. `readTradesCsv`). */
export async function aggregateTradeStream(
  trades: AsyncIterable<Trade> | Iterable<Trade>,
  options: AggregateTradesOptions,
): Promise<FootprintCandleDTO[]> {
  const builder = new FootprintBuilder(options);
  const candles: FootprintCandleDTO[] = [];
  for await (const trade of trades) {
    for (const candle of builder.push(trade)) candles.push(candle);
  }
  return finish(builder, candles, options);
}

function finish(
  builder: FootprintBuilder,
  candles: FootprintCandleDTO[],
  options: AggregateTradesOptions,
): FootprintCandleDTO[] {
  const trailing = options.trailing ?? 'open';
  if (trailing !== 'omit') {
    for (const candle of builder.flush())
      candles.push(trailing === 'complete' ? { ...candle, x: true } : candle);
  }
  return sortByTimeframeThenTime(candles, options.timeframes);
}

function sortByTimeframeThenTime(
  candles: FootprintCandleDTO[],
  timeframes: readonly TimeframeName[],
): FootprintCandleDTO[] {
  const rank = new Map<string, number>(timeframes.map((timeframe, index) => [timeframe, index]));
  return candles.sort((a, b) => (rank.get(a.i) ?? 0) - (rank.get(b.i) ?? 0) || a.t - b.t);
}
