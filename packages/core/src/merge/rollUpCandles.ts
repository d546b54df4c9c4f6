import type { FootprintCandleDTO } from '../candle/FootprintCandleDTO';
import { alignOpenTime, closeTimeOf, type TimeframeName } from '../timeframe/timeframes';
import { type MergeCandlesOptions, mergeCandles } from './mergeCandles';
import { partsProveComplete } from './periodCompletion';

/**
 * Rolls lower-timeframe candles up to `targetTimeframe`: groups them by
 * series and target period and merges each group (see `mergeCandles`).
 * Without `options.complete`, a period is complete when all its parts are and
 * its end is proven passed: a complete part ends where the period ends, or the input holds a
 * later candle of the series (as a builder closes a period on the first
 * trade after it).
 * Result order: by exchange, symbol, then open time.
 */
export function rollUpCandles(
  candles: Iterable<FootprintCandleDTO>,
  targetTimeframe: TimeframeName,
  options?: MergeCandlesOptions,
): FootprintCandleDTO[] {
  const groups = new Map<string, { series: string; openTime: number; parts: FootprintCandleDTO[] }>();
  const latestOpenTime = new Map<string, number>();
  for (const candle of candles) {
    const series = `${candle.ex}:${candle.s}`;
    const openTime = alignOpenTime(candle.t, targetTimeframe);
    const key = `${series}:${openTime}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { series, openTime, parts: [candle] });
    else group.parts.push(candle);
    latestOpenTime.set(series, Math.max(latestOpenTime.get(series) ?? candle.t, candle.t));
  }
  return [...groups.values()]
    .map(({ series, openTime, parts }) => {
      const laterCandleSeen =
        (latestOpenTime.get(series) ?? openTime) > closeTimeOf(openTime, targetTimeframe);
      const complete =
        options?.complete ?? partsProveComplete(parts, targetTimeframe, openTime, laterCandleSeen);
      return mergeCandles(parts, targetTimeframe, { ...options, complete });
    })
    .sort((a, b) => (a.ex < b.ex ? -1 : a.ex > b.ex ? 1 : a.s < b.s ? -1 : a.s > b.s ? 1 : a.t - b.t));
}
