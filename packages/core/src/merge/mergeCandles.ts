import type { FootprintCandleDTO, PriceBinDTO } from '../candle/FootprintCandleDTO';
import { DecimalAccumulator } from '../decimal/DecimalAccumulator';
import {
  addDecimals,
  compareDecimals,
  DECIMAL_ZERO,
  decimalFromNumber,
  decimalToNumber,
  type ExactDecimal,
  subtractDecimals,
} from '../decimal/ExactDecimal';
import { tickIndexOf, tickPriceOf, tickSizeOf } from '../tick/TickSize';
import { explainPriceOutOfTickRange } from '../tick/tickRange';
import {
  alignOpenTime,
  closeTimeOf,
  getTimeframe,
  isTimeframeName,
  TIMEFRAME_DURATION_MS,
  type TimeframeName,
} from '../timeframe/timeframes';
import { CandleMergeError } from './CandleMergeError';
import { partsProveComplete } from './periodCompletion';

export interface MergeCandlesOptions {
  /**
   * The merged candle's `x`. Default: true only when every part is complete
   * and one of them ends where the target period ends; otherwise the parts
   * cannot tell whether the period is over (a closed 10:01 minute says nothing
   * about 10:59), which the caller may know (a clock, the end of the data).
   */
  complete?: boolean;
}

class BinSums {
  readonly buy = new DecimalAccumulator();
  readonly sell = new DecimalAccumulator();
  readonly buyQuote = new DecimalAccumulator();
  readonly sellQuote = new DecimalAccumulator();
  hasQuote = true;
}

/**
 * Merges candles of one series that lie in one `targetTimeframe` period into
 * the candle of that period (e.g. five 1m candles → their 5m candle).
 *
 * Parts may be of any timeframe that divides the target (including the target
 * itself, so partial merges can be merged again: merging is associative).
 * Volumes and bins are summed as exact decimals (each part's double read as
 * its shortest decimal), so the result equals the candle built directly from
 * the trades whenever each part's sums have at most 15 significant digits.
 * Trades are ordered by trade id: `o` comes from the part with the first
 * trade, `c` from the part with the last, and
 * `dMax = max(0, max over parts of (delta of earlier parts + part.dMax))`
 * (likewise `dMin`), which is exactly the running-delta extreme over all trades.
 * @throws CandleMergeError when the parts cannot be merged; InvalidCoreOptionsError
 * (FLOWTRACE_INVALID_OPTIONS) when `targetTimeframe` is not a timeframe.
 */
export function mergeCandles(
  candles: readonly FootprintCandleDTO[],
  targetTimeframe: TimeframeName,
  options?: MergeCandlesOptions,
): FootprintCandleDTO {
  const first = candles[0];
  if (first === undefined) throw new CandleMergeError('Cannot merge an empty list of candles');
  const openTime = alignOpenTime(first.t, targetTimeframe);
  checkMergeable(candles, first, targetTimeframe, openTime);
  const tick = tickSizeOf(first.tv);

  const traded = candles.filter((candle) => candle.n > 0).sort((a, b) => a.f - b.f || a.t - b.t);
  for (let index = 1; index < traded.length; index += 1) {
    const previous = traded[index - 1] as FootprintCandleDTO;
    const next = traded[index] as FootprintCandleDTO;
    if (next.f <= previous.ls) {
      throw new CandleMergeError(
        `Candles at ${previous.t} (${previous.i}, trades ${previous.f}..${previous.ls}) and ${next.t} (${next.i}, trades ${next.f}..${next.ls}) share trades; merging would count them twice`,
      );
    }
  }
  const byTime = [...candles].sort((a, b) => a.t - b.t);
  const priceSource = traded.length > 0 ? traded : byTime;
  const opening = priceSource[0] as FootprintCandleDTO;
  const closing = priceSource[priceSource.length - 1] as FootprintCandleDTO;

  const buy = new DecimalAccumulator();
  const sell = new DecimalAccumulator();
  const buyQuote = new DecimalAccumulator();
  const sellQuote = new DecimalAccumulator();
  const bins = new Map<number, BinSums>();
  let highestDelta: ExactDecimal = DECIMAL_ZERO;
  let lowestDelta: ExactDecimal = DECIMAL_ZERO;
  let tradeCount = 0;
  for (const part of traded) {
    const deltaBefore = subtractDecimals(buy.value(), sell.value());
    const partHigh = addDecimals(deltaBefore, decimalFromNumber(part.dMax));
    const partLow = addDecimals(deltaBefore, decimalFromNumber(part.dMin));
    if (compareDecimals(partHigh, highestDelta) > 0) highestDelta = partHigh;
    if (compareDecimals(partLow, lowestDelta) < 0) lowestDelta = partLow;
    buy.add(decimalFromNumber(part.bv));
    sell.add(decimalFromNumber(part.sv));
    buyQuote.add(decimalFromNumber(part.bq));
    sellQuote.add(decimalFromNumber(part.sq));
    tradeCount += part.n;
    for (const bin of part.aggs) {
      const outOfRange = explainPriceOutOfTickRange(bin.tp, tick);
      if (outOfRange !== undefined) throw new CandleMergeError(`Candle at ${part.t}: bin ${outOfRange}`);
      addBin(bins, tickIndexOf(bin.tp, tick), bin);
    }
  }

  const aggs: PriceBinDTO[] = [...bins.keys()]
    .sort((a, b) => a - b)
    .map((index) => binDTO(tickPriceOf(index, tick), bins.get(index) as BinSums));
  const timeframe = getTimeframe(targetTimeframe);
  return {
    e: first.e,
    tz: first.tz,
    ex: first.ex,
    a: first.a,
    s: first.s,
    i: targetTimeframe,
    vi: timeframe.intervalSeconds,
    t: openTime,
    o: opening.o,
    h: Math.max(...priceSource.map((candle) => candle.h)),
    l: Math.min(...priceSource.map((candle) => candle.l)),
    c: closing.c,
    ct: closeTimeOf(openTime, targetTimeframe),
    v: decimalToNumber(addDecimals(buy.value(), sell.value())),
    bv: decimalToNumber(buy.value()),
    sv: decimalToNumber(sell.value()),
    q: decimalToNumber(addDecimals(buyQuote.value(), sellQuote.value())),
    bq: decimalToNumber(buyQuote.value()),
    sq: decimalToNumber(sellQuote.value()),
    n: tradeCount,
    d: decimalToNumber(subtractDecimals(buy.value(), sell.value())),
    dMax: decimalToNumber(highestDelta),
    dMin: decimalToNumber(lowestDelta),
    tv: first.tv,
    aggs,
    f: traded.length > 0 ? Math.min(...traded.map((candle) => candle.f)) : 0,
    ls: traded.length > 0 ? Math.max(...traded.map((candle) => candle.ls)) : 0,
    x: options?.complete ?? partsProveComplete(candles, targetTimeframe, openTime, false),
  };
}

function checkMergeable(
  candles: readonly FootprintCandleDTO[],
  first: FootprintCandleDTO,
  targetTimeframe: TimeframeName,
  openTime: number,
): void {
  const targetDuration = TIMEFRAME_DURATION_MS[targetTimeframe];
  const seen = new Set<string>();
  for (const candle of candles) {
    const where = `candle ${candle.ex}:${candle.s}:${candle.i}:${candle.t}`;
    if (candle.ex !== first.ex || candle.s !== first.s) {
      throw new CandleMergeError(`${where} is not of series ${first.ex}:${first.s}`);
    }
    if (candle.tv !== first.tv)
      throw new CandleMergeError(`${where} has tick value ${candle.tv}, not ${first.tv}`);
    if (!isTimeframeName(candle.i)) throw new CandleMergeError(`${where} has an unknown timeframe`);
    const duration = TIMEFRAME_DURATION_MS[candle.i];
    if (duration > targetDuration || targetDuration % duration !== 0) {
      throw new CandleMergeError(`${where}: ${candle.i} does not divide ${targetTimeframe}`);
    }
    if (alignOpenTime(candle.t, targetTimeframe) !== openTime) {
      throw new CandleMergeError(`${where} is not in the ${targetTimeframe} period opening at ${openTime}`);
    }
    // Partial merges (of the target timeframe) legitimately share an open time; their trades must not overlap,
    // which the trade-id check catches. A lower-timeframe candle given twice is always a mistake.
    if (duration < targetDuration) {
      const identity = `${candle.i}:${candle.t}`;
      if (seen.has(identity)) throw new CandleMergeError(`${where} appears twice`);
      seen.add(identity);
    }
  }
}

function addBin(bins: Map<number, BinSums>, index: number, bin: PriceBinDTO): void {
  let sums = bins.get(index);
  if (sums === undefined) {
    sums = new BinSums();
    bins.set(index, sums);
  }
  sums.buy.add(decimalFromNumber(bin.bv));
  sums.sell.add(decimalFromNumber(bin.sv));
  if (bin.bq !== undefined && bin.sq !== undefined) {
    sums.buyQuote.add(decimalFromNumber(bin.bq));
    sums.sellQuote.add(decimalFromNumber(bin.sq));
  } else {
    // A partial quote sum would look complete and be wrong; leave the bin without quote volumes.
    sums.hasQuote = false;
  }
}

function binDTO(tp: number, sums: BinSums): PriceBinDTO {
  const buy = sums.buy.value();
  const sell = sums.sell.value();
  const bin: PriceBinDTO = {
    tp,
    bv: decimalToNumber(buy),
    sv: decimalToNumber(sell),
    v: decimalToNumber(addDecimals(buy, sell)),
  };
  if (sums.hasQuote) {
    const buyQuote = sums.buyQuote.value();
    const sellQuote = sums.sellQuote.value();
    bin.bq = decimalToNumber(buyQuote);
    bin.sq = decimalToNumber(sellQuote);
    bin.q = decimalToNumber(addDecimals(buyQuote, sellQuote));
  }
  return bin;
}
