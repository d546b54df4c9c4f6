import type { FootprintCandleDTO } from '../candle/FootprintCandleDTO';
import { InvalidCoreOptionsError } from '../errors/FlowTraceCoreError';
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

type Trailing = NonNullable<AggregateTradesOptions['trailing']>;
const TRAILING_VALUES: readonly Trailing[] = ['open', 'complete', 'omit'];

function isTrailing(value: unknown): value is Trailing {
  return (TRAILING_VALUES as readonly unknown[]).includes(value);
}

/**
 * Builds the candles of every requested timeframe from time-ordered trades.
 * Result order: by the order of `timeframes`, then by open time.
 * @throws InvalidCoreOptionsError for invalid options, before any trade is read.
 */
export function aggregateTrades(
  trades: Iterable<Trade>,
  options: AggregateTradesOptions,
): FootprintCandleDTO[] {
  const builder = new FootprintBuilder(options);
  const trailing = trailingOf(options);
  const candles: FootprintCandleDTO[] = [];
  for (const trade of trades) {
    for (const candle of builder.push(trade)) candles.push(candle);
  }
  return finish(builder, candles, trailing, options.timeframes);
}

/** Async counterpart for streamed trades (e.g. `readTradesCsv`). */
export async function aggregateTradeStream(
  trades: AsyncIterable<Trade> | Iterable<Trade>,
  options: AggregateTradesOptions,
): Promise<FootprintCandleDTO[]> {
  const builder = new FootprintBuilder(options);
  const trailing = trailingOf(options);
  const candles: FootprintCandleDTO[] = [];
  for await (const trade of trades) {
    for (const candle of builder.push(trade)) candles.push(candle);
  }
  return finish(builder, candles, trailing, options.timeframes);
}

/**
 * `trailing`, checked with the builder's options (which the builder checks
 * first, the object itself included): an unknown value would otherwise behave
 * as `'open'` and hand out unfinished candles a caller asked to omit or mark.
 */
function trailingOf(options: AggregateTradesOptions): Trailing {
  const trailing: unknown = options.trailing;
  if (trailing === undefined) return 'open';
  if (isTrailing(trailing)) return trailing;
  const shown =
    typeof trailing === 'string'
      ? JSON.stringify(trailing)
      : trailing === null || typeof trailing === 'number' || typeof trailing === 'boolean'
        ? String(trailing)
        : `a value of type ${typeof trailing}`;
  throw new InvalidCoreOptionsError(
    `Invalid trade aggregation options: trailing must be one of ${TRAILING_VALUES.map((value) => `"${value}"`).join(', ')}, not ${shown}`,
  );
}

function finish(
  builder: FootprintBuilder,
  candles: FootprintCandleDTO[],
  trailing: Trailing,
  timeframes: readonly TimeframeName[],
): FootprintCandleDTO[] {
  if (trailing !== 'omit') {
    for (const candle of builder.flush())
      candles.push(trailing === 'complete' ? { ...candle, x: true } : candle);
  }
  return sortByTimeframeThenTime(candles, timeframes);
}

function sortByTimeframeThenTime(
  candles: FootprintCandleDTO[],
  timeframes: readonly TimeframeName[],
): FootprintCandleDTO[] {
  const rank = new Map<string, number>(timeframes.map((timeframe, index) => [timeframe, index]));
  return candles.sort((a, b) => (rank.get(a.i) ?? 0) - (rank.get(b.i) ?? 0) || a.t - b.t);
}
