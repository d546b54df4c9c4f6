import type { FootprintCandleDTO, PriceBinDTO } from '../candle/FootprintCandleDTO';
import { DecimalAccumulator } from '../decimal/DecimalAccumulator';
import {
  addDecimals,
  compareDecimals,
  DECIMAL_ZERO,
  decimalFromNumber,
  decimalToNumber,
  type ExactDecimal,
  multiplyDecimals,
  subtractDecimals,
} from '../decimal/ExactDecimal';
import { type TickSize, tickIndexOf, tickPriceOf } from '../tick/TickSize';
import { closeTimeOf, getTimeframe, type TimeframeName } from '../timeframe/timeframes';
import type { Trade } from '../trade/Trade';
import { TradeIdSet } from './TradeIdSet';

export interface SeriesIdentity {
  readonly exchange: string;
  readonly symbol: string;
  /** The DTO's `a` field. */
  readonly asset: string;
  readonly tick: TickSize;
}

class BinInProgress {
  readonly buy = new DecimalAccumulator();
  readonly sell = new DecimalAccumulator();
  readonly buyQuote = new DecimalAccumulator();
  readonly sellQuote = new DecimalAccumulator();
}

/**
 * One candle being built from trades. Volumes are summed as exact decimals
 * and converted to doubles once, in `toDTO()`, so the result does not depend
 * on the order or grouping of additions.
 */
export class CandleInProgress {
  readonly closeTime: number;
  private readonly bins = new Map<number, BinInProgress>();
  private open = 0;
  private high = Number.NEGATIVE_INFINITY;
  private low = Number.POSITIVE_INFINITY;
  private close = 0;
  private tradeCount = 0;
  private firstTradeId = Number.POSITIVE_INFINITY;
  private lastTradeId = Number.NEGATIVE_INFINITY;
  private readonly tradeIds = new TradeIdSet();
  private runningDelta = new DecimalAccumulator();
  // The running delta starts at 0 and 0 counts as reached, as in the original platform.
  private highestDelta: ExactDecimal = DECIMAL_ZERO;
  private lowestDelta: ExactDecimal = DECIMAL_ZERO;

  constructor(
    private readonly series: SeriesIdentity,
    readonly timeframe: TimeframeName,
    readonly openTime: number,
  ) {
    this.closeTime = closeTimeOf(openTime, timeframe);
  }

  /** True when a trade with this id was already applied to this candle. */
  hasTrade(tradeId: number): boolean {
    return this.tradeIds.has(tradeId);
  }

  /** Applies a trade whose time lies inside this candle and whose id is new to it; the caller checks both. */
  apply(trade: Trade, quantity: ExactDecimal, price: ExactDecimal): void {
    this.tradeIds.add(trade.tradeId);
    if (this.tradeCount === 0) this.open = trade.price;
    this.close = trade.price;
    if (trade.price > this.high) this.high = trade.price;
    if (trade.price < this.low) this.low = trade.price;
    this.tradeCount += 1;
    if (trade.tradeId < this.firstTradeId) this.firstTradeId = trade.tradeId;
    if (trade.tradeId > this.lastTradeId) this.lastTradeId = trade.tradeId;

    const index = tickIndexOf(trade.price, this.series.tick);
    let bin = this.bins.get(index);
    if (bin === undefined) {
      bin = new BinInProgress();
      this.bins.set(index, bin);
    }
    const quote = multiplyDecimals(price, quantity);
    if (trade.isBuyerMaker) {
      bin.sell.add(quantity);
      bin.sellQuote.add(quote);
      this.runningDelta.subtract(quantity);
      const delta = this.runningDelta.value();
      if (compareDecimals(delta, this.lowestDelta) < 0) this.lowestDelta = delta;
    } else {
      bin.buy.add(quantity);
      bin.buyQuote.add(quote);
      this.runningDelta.add(quantity);
      const delta = this.runningDelta.value();
      if (compareDecimals(delta, this.highestDelta) > 0) this.highestDelta = delta;
    }
  }

  get isEmpty(): boolean {
    return this.tradeCount === 0;
  }

  toDTO(complete: boolean): FootprintCandleDTO {
    const { tick } = this.series;
    const timeframe = getTimeframe(this.timeframe);
    const buy = new DecimalAccumulator();
    const sell = new DecimalAccumulator();
    const buyQuote = new DecimalAccumulator();
    const sellQuote = new DecimalAccumulator();
    const aggs: PriceBinDTO[] = [];
    for (const index of [...this.bins.keys()].sort((a, b) => a - b)) {
      const bin = this.bins.get(index) as BinInProgress;
      const binBuy = bin.buy.value();
      const binSell = bin.sell.value();
      const binBuyQuote = bin.buyQuote.value();
      const binSellQuote = bin.sellQuote.value();
      buy.add(binBuy);
      sell.add(binSell);
      buyQuote.add(binBuyQuote);
      sellQuote.add(binSellQuote);
      aggs.push({
        tp: tickPriceOf(index, tick),
        bv: decimalToNumber(binBuy),
        sv: decimalToNumber(binSell),
        v: decimalToNumber(addDecimals(binBuy, binSell)),
        bq: decimalToNumber(binBuyQuote),
        sq: decimalToNumber(binSellQuote),
        q: decimalToNumber(addDecimals(binBuyQuote, binSellQuote)),
      });
    }
    const empty = this.isEmpty;
    return {
      e: 'CANDLESTICK',
      tz: 'UTC',
      ex: this.series.exchange,
      a: this.series.asset,
      s: this.series.symbol,
      i: this.timeframe,
      vi: timeframe.intervalSeconds,
      t: this.openTime,
      o: this.open,
      h: empty ? 0 : this.high,
      l: empty ? 0 : this.low,
      c: this.close,
      ct: this.closeTime,
      v: decimalToNumber(addDecimals(buy.value(), sell.value())),
      bv: decimalToNumber(buy.value()),
      sv: decimalToNumber(sell.value()),
      q: decimalToNumber(addDecimals(buyQuote.value(), sellQuote.value())),
      bq: decimalToNumber(buyQuote.value()),
      sq: decimalToNumber(sellQuote.value()),
      n: this.tradeCount,
      d: decimalToNumber(subtractDecimals(buy.value(), sell.value())),
      dMax: decimalToNumber(this.highestDelta),
      dMin: decimalToNumber(this.lowestDelta),
      tv: tick.value,
      aggs,
      f: empty ? 0 : this.firstTradeId,
      ls: empty ? 0 : this.lastTradeId,
      x: complete,
    };
  }
}

/** Reads a trade's quantity and price as the exact decimals they were printed as. */
export function tradeDecimals(trade: Trade): { quantity: ExactDecimal; price: ExactDecimal } {
  return { quantity: decimalFromNumber(trade.quantity), price: decimalFromNumber(trade.price) };
}
