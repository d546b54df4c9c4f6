import { z } from 'zod';
import type { FootprintCandleDTO, PriceBinDTO } from '../candle/FootprintCandleDTO';
import { unitsToNumber } from '../decimal/ExactDecimal';
import { addUnits, IntegerSum, multiplyUnits } from '../decimal/IntegerSum';
import { InvalidCoreOptionsError } from '../errors/FlowTraceCoreError';
import { explainUnsafeName, SAFE_NAME_PATTERN } from '../naming/safeName';
import { type TickSize, tickIndexOf, tickSizeOf } from '../tick/TickSize';
import {
  closeTimeOf,
  getTimeframe,
  isAlignedOpenTime,
  TIMEFRAME_NAMES,
  type TimeframeName,
} from '../timeframe/timeframes';
import { SeededRandom } from './SeededRandom';

export interface CandleGeneratorOptions {
  seed: number;
  /** Number of candles; may be `Infinity` for `footprintCandleStream`. */
  count: number;
  /** Default `'binance'`. */
  exchange?: string;
  /** Default `'BTCUSDT'`. */
  symbol?: string;
  /** Default `'1m'`. */
  timeframe?: TimeframeName;
  /** Open time of the first candle, aligned to the timeframe; default `Date.UTC(2025, 5, 1)`. */
  startTime?: number;
  /** Default 0.1. Any decimal tick works (0.01, 0.5, 1, 0.00001 …). */
  tickValue?: number;
  /** Default 65000. */
  startPrice?: number;
  /** Exact bin count of every non-empty candle, or a range; default `{ min: 1, max: 200 }`. */
  bins?: number | { min: number; max: number };
  /** Fraction of candles without trades; default 0.02. */
  emptyRatio?: number;
  /** Whether bins carry `bq`/`sq`/`q`; default true. */
  withQuoteVolumes?: boolean;
}

const safeName = z.string().refine((value) => explainUnsafeName(value) === undefined, {
  message: `must match ${SAFE_NAME_PATTERN} and not contain ".."`,
});
const binCount = z.number().int().min(1).max(100_000);

const optionsSchema = z
  .object({
    seed: z.number().refine(Number.isFinite, 'must be finite'),
    count: z.number().int().min(0).or(z.literal(Number.POSITIVE_INFINITY)),
    exchange: safeName.default('binance'),
    symbol: safeName.default('BTCUSDT'),
    timeframe: z.enum(TIMEFRAME_NAMES).default('1m'),
    startTime: z
      .number()
      .int()
      .default(Date.UTC(2025, 5, 1)),
    tickValue: z.number().positive().default(0.1),
    startPrice: z.number().positive().default(65_000),
    bins: z.union([binCount, z.object({ min: binCount, max: binCount })]).default({ min: 1, max: 200 }),
    emptyRatio: z.number().min(0).max(1).default(0.02),
    withQuoteVolumes: z.boolean().default(true),
  })
  .superRefine((options, context) => {
    if (!isAlignedOpenTime(options.startTime, options.timeframe)) {
      context.addIssue({
        code: 'custom',
        path: ['startTime'],
        message: `is not aligned to ${options.timeframe}`,
      });
    }
    if (typeof options.bins === 'object' && options.bins.min > options.bins.max) {
      context.addIssue({ code: 'custom', path: ['bins'], message: 'min must be <= max' });
    }
  });

type ResolvedOptions = z.output<typeof optionsSchema>;

export class InvalidGeneratorOptionsError extends InvalidCoreOptionsError {}

function resolveOptions(options: CandleGeneratorOptions): Readonly<ResolvedOptions> {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const details = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'options'} ${issue.message}`,
    );
    throw new InvalidGeneratorOptionsError(`Invalid candle generator options: ${details.join('; ')}`);
  }
  return Object.freeze(parsed.data);
}

/** Deterministic synthetic footprint candles: same options, identical candles. */
export function generateFootprintCandles(options: CandleGeneratorOptions): FootprintCandleDTO[] {
  if (!Number.isFinite(options.count)) {
    throw new InvalidGeneratorOptionsError(
      'generateFootprintCandles needs a finite count; use footprintCandleStream',
    );
  }
  return [...footprintCandleStream(options)];
}

/**
 * Lazily generates `count` consecutive candles (one timeframe apart). Prices
 * follow a random walk in whole ticks with occasional bursts (many more
 * trades, wider ranges); every candle passes strict validation.
 */
export function* footprintCandleStream(options: CandleGeneratorOptions): Generator<FootprintCandleDTO> {
  const resolved = resolveOptions(options);
  const series = new SyntheticSeries(resolved);
  for (let index = 0; index < resolved.count; index += 1) yield series.next();
}

const BURST_PROBABILITY = 0.04;
/** Keeps per-bin sums far inside the safe-integer range. */
const MAX_BIN_VOLUME_UNITS = 2 ** 40;
/** Typical trade size in quote currency; sets quantities relative to the price. */
const MEAN_TRADE_NOTIONAL = 2_000;

class SyntheticSeries {
  private readonly random: SeededRandom;
  private readonly tick: TickSize;
  private readonly durationMs: number;
  private readonly intervalSeconds: number;
  private readonly minimumIndex: number;
  private openTime: number;
  private closeIndex: number;
  private nextTradeId: number;

  constructor(private readonly options: Readonly<ResolvedOptions>) {
    this.random = new SeededRandom(options.seed);
    this.tick = tickSizeOf(options.tickValue);
    const timeframe = getTimeframe(options.timeframe);
    this.durationMs = timeframe.durationMs;
    this.intervalSeconds = timeframe.intervalSeconds;
    this.openTime = options.startTime;
    this.closeIndex = Math.max(1, tickIndexOf(options.startPrice, this.tick));
    this.minimumIndex = Math.max(1, Math.floor(this.closeIndex / 20));
    this.nextTradeId = 1_000_000 + this.random.int(0, 1_000_000);
  }

  next(): FootprintCandleDTO {
    const candle = this.random.chance(this.options.emptyRatio) ? this.emptyCandle() : this.tradedCandle();
    this.openTime += this.durationMs;
    return candle;
  }

  private price(index: number): number {
    return (index * this.tick.numerator) / this.tick.scale;
  }

  private header(): Pick<FootprintCandleDTO, 'e' | 'tz' | 'ex' | 'a' | 's' | 'i' | 'vi' | 't'> {
    return {
      e: 'CANDLESTICK',
      tz: 'UTC',
      ex: this.options.exchange,
      a: '',
      s: this.options.symbol,
      i: this.options.timeframe,
      vi: this.intervalSeconds,
      t: this.openTime,
    };
  }

  private emptyCandle(): FootprintCandleDTO {
    const price = this.price(this.closeIndex);
    return {
      ...this.header(),
      o: price,
      h: price,
      l: price,
      c: price,
      ct: closeTimeOf(this.openTime, this.options.timeframe),
      v: 0,
      bv: 0,
      sv: 0,
      q: 0,
      bq: 0,
      sq: 0,
      n: 0,
      d: 0,
      dMax: 0,
      dMin: 0,
      tv: this.options.tickValue,
      aggs: [],
      f: 0,
      ls: 0,
      x: true,
    };
  }

  private pickBinCount(burst: boolean): number {
    const bins = this.options.bins;
    if (typeof bins === 'number') return bins;
    // Most candles are narrow; bursts are wide.
    const skewed = this.random.next() ** (burst ? 0.5 : 2);
    return Math.min(bins.max, bins.min + Math.floor((bins.max - bins.min + 1) * skewed));
  }

  /** Offsets (ascending) of the traded ticks within a span; always includes both ends and `mustInclude`. */
  private pickTickOffsets(binCount: number, span: number, mustInclude: number): number[] {
    if (binCount >= span) return Array.from({ length: span }, (_, offset) => offset);
    const optional: number[] = [];
    for (let offset = 1; offset < span - 1; offset += 1) if (offset !== mustInclude) optional.push(offset);
    const required = new Set([0, span - 1, mustInclude]);
    const wanted = binCount - required.size;
    for (let picked = 0; picked < wanted; picked += 1) {
      const swap = picked + this.random.int(0, optional.length - picked - 1);
      const chosen = optional[swap] as number;
      optional[swap] = optional[picked] as number;
      optional[picked] = chosen;
      required.add(chosen);
    }
    return [...required].sort((a, b) => a - b);
  }

  private tradedCandle(): FootprintCandleDTO {
    const random = this.random;
    const burst = random.chance(BURST_PROBABILITY);
    const intensity = burst ? 4 + random.next() * 12 : 1;
    const binCount = this.pickBinCount(burst);
    const span = binCount <= 2 ? binCount : binCount + Math.floor(random.next() * binCount * 0.15);
    let openIndex = this.closeIndex + random.int(-1, 1);
    let lowIndex = openIndex - random.int(0, span - 1);
    if (lowIndex < this.minimumIndex) {
      const shift = this.minimumIndex - lowIndex;
      lowIndex += shift;
      openIndex += shift;
    }
    const offsets = this.pickTickOffsets(binCount, span, openIndex - lowIndex);
    const closeIndex = lowIndex + (offsets[random.int(0, offsets.length - 1)] as number);

    const quantityDecimals = random.int(3, 8);
    const quantityScale = 10 ** quantityDecimals;
    const quoteDecimals = this.tick.decimals + quantityDecimals;
    const buyShare = 0.3 + random.next() * 0.4;
    const meanTradeUnits = Math.max(1, (MEAN_TRADE_NOTIONAL / this.price(openIndex)) * quantityScale);

    const buyTotal = new IntegerSum();
    const sellTotal = new IntegerSum();
    const buyQuoteTotal = new IntegerSum();
    const sellQuoteTotal = new IntegerSum();
    let tradeCount = 0;
    const aggs: PriceBinDTO[] = [];
    for (const offset of offsets) {
      const index = lowIndex + offset;
      const trades = 1 + Math.min(5_000, Math.floor(Math.exp(random.normal() * 0.8) * intensity * 2));
      const buys = Math.min(trades, Math.max(0, Math.round(trades * buyShare + random.normal())));
      const sells = trades - buys;
      const buyUnits = this.volumeUnits(buys, meanTradeUnits);
      const sellUnits = this.volumeUnits(sells, meanTradeUnits);
      tradeCount += trades;
      buyTotal.add(buyUnits);
      sellTotal.add(sellUnits);
      const priceUnits = index * this.tick.numerator;
      const buyQuote = multiplyUnits(priceUnits, buyUnits);
      const sellQuote = multiplyUnits(priceUnits, sellUnits);
      buyQuoteTotal.add(buyQuote);
      sellQuoteTotal.add(sellQuote);
      const bin: PriceBinDTO = {
        tp: this.price(index),
        bv: unitsToNumber(buyUnits, quantityDecimals),
        sv: unitsToNumber(sellUnits, quantityDecimals),
        v: unitsToNumber(buyUnits + sellUnits, quantityDecimals),
      };
      if (this.options.withQuoteVolumes) {
        bin.bq = unitsToNumber(buyQuote, quoteDecimals);
        bin.sq = unitsToNumber(sellQuote, quoteDecimals);
        bin.q = unitsToNumber(addUnits(buyQuote, sellQuote), quoteDecimals);
      }
      aggs.push(bin);
    }

    const buy = buyTotal.value();
    const sell = sellTotal.value();
    const delta = buy - sell;
    const highestDelta = delta > 0n ? delta : 0n;
    const lowestDelta = delta < 0n ? delta : 0n;
    // The running delta may overshoot its final value but never beyond all buys / all sells.
    const deltaMax = highestDelta + fractionOf(buy - highestDelta, random.next() * 0.5);
    const deltaMin = lowestDelta - fractionOf(sell + lowestDelta, random.next() * 0.5);

    const firstTradeId = this.nextTradeId;
    this.nextTradeId += tradeCount;
    this.closeIndex = closeIndex;
    return {
      ...this.header(),
      o: this.price(openIndex),
      h: this.price(lowIndex + span - 1),
      l: this.price(lowIndex),
      c: this.price(closeIndex),
      ct: closeTimeOf(this.openTime, this.options.timeframe),
      v: unitsToNumber(buy + sell, quantityDecimals),
      bv: unitsToNumber(buy, quantityDecimals),
      sv: unitsToNumber(sell, quantityDecimals),
      q: unitsToNumber(buyQuoteTotal.value() + sellQuoteTotal.value(), quoteDecimals),
      bq: unitsToNumber(buyQuoteTotal.units(), quoteDecimals),
      sq: unitsToNumber(sellQuoteTotal.units(), quoteDecimals),
      n: tradeCount,
      d: unitsToNumber(delta, quantityDecimals),
      dMax: unitsToNumber(deltaMax, quantityDecimals),
      dMin: unitsToNumber(deltaMin, quantityDecimals),
      tv: this.options.tickValue,
      aggs,
      f: firstTradeId,
      ls: firstTradeId + tradeCount - 1,
      x: true,
    };
  }

  /** Base volume of `trades` trades in quantity units: realistic, log-normally spread, >= 1 unit per trade. */
  private volumeUnits(trades: number, meanTradeUnits: number): number {
    if (trades === 0) return 0;
    const units = Math.round(trades * meanTradeUnits * Math.exp(this.random.normal() * 0.7 - 0.245));
    return Math.min(MAX_BIN_VOLUME_UNITS, Math.max(trades, units));
  }
}

function fractionOf(value: bigint, fraction: number): bigint {
  return (value * BigInt(Math.floor(fraction * 1_000_000))) / 1_000_000n;
}
