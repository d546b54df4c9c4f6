import type { FootprintCandleDTO } from '../candle/FootprintCandleDTO';
import { alignOpenTime, type TimeframeName } from '../timeframe/timeframes';
import { type MergeCandlesOptions, mergeCandles } from './mergeCandles';

/**
 * Rolls lower-timeframe candles up to `targetTimeframe`: groups them by
 * series and target period and merges each group (see `mergeCandles`).
 * Result order: by exchange, symbol, then open time.
 */
export function rollUpCandles(
  candles: Iterable<FootprintCandleDTO>,
  targetTimeframe: TimeframeName,
  options?: MergeCandlesOptions,
): FootprintCandleDTO[] {
  const groups = new Map<string, FootprintCandleDTO[]>();
  for (const candle of candles) {
    const key = `${candle.ex}:${candle.s}:${alignOpenTime(candle.t, targetTimeframe)}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [candle]);
    else group.push(candle);
  }
  return [...groups.values()]
    .map((group) => mergeCandles(group, targetTimeframe, options))
    .sort((a, b) => (a.ex < b.ex ? -1 : a.ex > b.ex ? 1 : a.s < b.s ? -1 : a.s > b.s ? 1 : a.t - b.t));
}
