import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  aggregateTradeStream,
  type FootprintCandleDTO,
  type PriceBinDTO,
  readTradesCsv,
  rollUpCandles,
  type TimeframeName,
} from '@flowtrace/core';
import { beforeAll, describe, expect, it } from 'vitest';

/*
 * Every candle built from the shared LTCUSDT trades, compared field by field
 * with an independent recomputation from the CSV text: prices and quantities
 * are parsed as strings into BigInt fixed-point units (never through the code
 * under test, never summed as doubles), and each sum is turned into a double
 * once by the number parser, which rounds correctly.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dataFile = resolve(repoRoot, '..', 'shared', 'data', 'ltcusdt-aggtrades-2025-06', 'trades.csv.gz');
const present = existsSync(dataFile);
if (!present)
  console.warn(
    `Skipping the real-data reference test: ${dataFile} is absent (it lives outside the repository).`,
  );

const OPTIONS = { exchange: 'binance', symbol: 'LTCUSDT', tickValue: 0.01 } as const;
const TIMEFRAMES = ['1s', '1m', '5m', '1h', '1d'] as const satisfies readonly TimeframeName[];
const DURATION: Record<(typeof TIMEFRAMES)[number], number> = {
  '1s': 1_000,
  '1m': 60_000,
  '5m': 300_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

/** Fixed-point scales of the reference: 1e-8 for prices and quantities, so 1e-16 for quote volumes. */
const SCALE = 8;
const QUOTE_SCALE = 2 * SCALE;
/** The tick 0.01 in price units. */
const TICK_UNITS = 1_000_000n;

interface RawTrade {
  time: number;
  priceText: string;
  price: bigint;
  quantity: bigint;
  buy: boolean;
  id: number;
}

/** `"83.29"` → 8_329_000_000n at scale 8, by string manipulation only. */
function toUnits(text: string): bigint {
  const [whole = '0', fraction = ''] = text.split('.');
  if (fraction.length > SCALE) throw new Error(`more than ${SCALE} decimals: ${text}`);
  return BigInt(whole) * 10n ** BigInt(SCALE) + BigInt(fraction.padEnd(SCALE, '0'));
}

/** The double nearest to `units × 10^-scale`, rounded by the number parser. */
function toNumber(units: bigint, scale: number): number {
  return Number(`${units}e-${scale}`);
}

class RefBin {
  buy = 0n;
  sell = 0n;
  buyQuote = 0n;
  sellQuote = 0n;
}

class RefCandle {
  readonly trades: RawTrade[] = [];
  constructor(readonly t: number) {}
}

function referenceCandle(ref: RefCandle, timeframe: (typeof TIMEFRAMES)[number]): FootprintCandleDTO {
  const bins = new Map<bigint, RefBin>();
  let buy = 0n;
  let sell = 0n;
  let buyQuote = 0n;
  let sellQuote = 0n;
  let running = 0n;
  let highest = 0n;
  let lowest = 0n;
  for (const trade of ref.trades) {
    const index = trade.price / TICK_UNITS;
    const bin = bins.get(index) ?? new RefBin();
    bins.set(index, bin);
    const quote = trade.price * trade.quantity;
    if (trade.buy) {
      buy += trade.quantity;
      buyQuote += quote;
      bin.buy += trade.quantity;
      bin.buyQuote += quote;
      running += trade.quantity;
    } else {
      sell += trade.quantity;
      sellQuote += quote;
      bin.sell += trade.quantity;
      bin.sellQuote += quote;
      running -= trade.quantity;
    }
    if (running > highest) highest = running;
    if (running < lowest) lowest = running;
  }
  const prices = ref.trades.map((trade) => Number(trade.priceText));
  const aggs: PriceBinDTO[] = [...bins.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([index, bin]) => ({
      tp: Number(`${index}e-2`),
      bv: toNumber(bin.buy, SCALE),
      sv: toNumber(bin.sell, SCALE),
      v: toNumber(bin.buy + bin.sell, SCALE),
      bq: toNumber(bin.buyQuote, QUOTE_SCALE),
      sq: toNumber(bin.sellQuote, QUOTE_SCALE),
      q: toNumber(bin.buyQuote + bin.sellQuote, QUOTE_SCALE),
    }));
  const duration = DURATION[timeframe];
  return {
    e: 'CANDLESTICK',
    tz: 'UTC',
    ex: OPTIONS.exchange,
    a: '',
    s: OPTIONS.symbol,
    i: timeframe,
    vi: duration / 1000,
    t: ref.t,
    o: prices[0] as number,
    h: Math.max(...prices),
    l: Math.min(...prices),
    c: prices.at(-1) as number,
    ct: ref.t + duration - 1,
    v: toNumber(buy + sell, SCALE),
    bv: toNumber(buy, SCALE),
    sv: toNumber(sell, SCALE),
    q: toNumber(buyQuote + sellQuote, QUOTE_SCALE),
    bq: toNumber(buyQuote, QUOTE_SCALE),
    sq: toNumber(sellQuote, QUOTE_SCALE),
    n: ref.trades.length,
    d: toNumber(buy - sell, SCALE),
    dMax: toNumber(highest, SCALE),
    dMin: toNumber(lowest, SCALE),
    tv: OPTIONS.tickValue,
    aggs,
    f: Math.min(...ref.trades.map((trade) => trade.id)),
    ls: Math.max(...ref.trades.map((trade) => trade.id)),
    x: true,
  };
}

/** The reference candles of one timeframe, in time order; the last one is open (`x: false`). */
function referenceCandles(trades: readonly RawTrade[], timeframe: (typeof TIMEFRAMES)[number]) {
  const duration = DURATION[timeframe];
  const periods = new Map<number, RefCandle>();
  for (const trade of trades) {
    // Epoch ms of 2025 are positive, so `%` is the floor modulo here.
    const t = trade.time - (trade.time % duration);
    const period = periods.get(t) ?? new RefCandle(t);
    periods.set(t, period);
    period.trades.push(trade);
  }
  const candles = [...periods.values()]
    .sort((a, b) => a.t - b.t)
    .map((period) => referenceCandle(period, timeframe));
  const last = candles.at(-1);
  if (last !== undefined) last.x = false;
  return candles;
}

/** Describes the first `limit` differing candles, to keep a failure readable. */
function differences(actual: FootprintCandleDTO[], expected: FootprintCandleDTO[], limit = 3): string[] {
  const found: string[] = [];
  if (actual.length !== expected.length) found.push(`${actual.length} candles, expected ${expected.length}`);
  for (let index = 0; index < expected.length && found.length < limit; index += 1) {
    const want = expected[index] as FootprintCandleDTO;
    const got = actual[index];
    if (JSON.stringify(got) === JSON.stringify(want)) continue;
    const keys = Object.keys(want) as (keyof FootprintCandleDTO)[];
    const fields = keys.filter((key) => JSON.stringify(got?.[key]) !== JSON.stringify(want[key]));
    found.push(`${want.i} ${want.t}: ${fields.join(', ')}`);
  }
  return found;
}

describe.skipIf(!present)('real data against an independent reference: LTCUSDT aggTrades', () => {
  let trades: RawTrade[] = [];
  const built = new Map<string, FootprintCandleDTO[]>();

  beforeAll(async () => {
    const text = gunzipSync(await readFile(dataFile)).toString('utf8');
    const [header = '', ...lines] = text.split('\n').filter((line) => line !== '');
    expect(header).toBe('timestamp,price,quantity,side,tradeId');
    trades = lines.map((line) => {
      const [time = '', priceText = '', quantity = '', side = '', id = ''] = line.split(',');
      if (side !== 'buy' && side !== 'sell') throw new Error(`bad side in ${line}`);
      return {
        time: Number(time),
        priceText,
        price: toUnits(priceText),
        quantity: toUnits(quantity),
        buy: side === 'buy',
        id: Number(id),
      };
    });
    // All timeframes from one builder, as the live service runs it.
    const candles = await aggregateTradeStream(readTradesCsv(dataFile), {
      ...OPTIONS,
      timeframes: TIMEFRAMES,
    });
    for (const timeframe of TIMEFRAMES)
      built.set(
        timeframe,
        candles.filter((candle) => candle.i === timeframe),
      );
  }, 60_000);

  it.each([
    ['1s', 56_722],
    ['1m', 1_910],
    ['5m', 384],
    ['1h', 33],
    ['1d', 2],
  ] as const)(
    'every %s candle equals the reference recomputed from the raw trades (%i candles)',
    (timeframe, count) => {
      const expected = referenceCandles(trades, timeframe);
      expect(expected).toHaveLength(count);
      expect(differences(built.get(timeframe) ?? [], expected)).toEqual([]);
    },
  );

  it('the reference covers every trade once in every timeframe, and the data has trades exactly on minute boundaries', () => {
    expect(trades).toHaveLength(152_763);
    for (const timeframe of TIMEFRAMES) {
      expect((built.get(timeframe) ?? []).reduce((count, candle) => count + candle.n, 0)).toBe(152_763);
    }
    // A trade at hh:mm:00.000 opens its minute (t <= time < t + D), it does not close the previous one.
    const onBoundary = trades.filter((trade) => trade.time % 60_000 === 0);
    expect(onBoundary.length).toBeGreaterThan(0);
    for (const trade of onBoundary) {
      const candle = (built.get('1m') ?? []).find((c) => c.t === trade.time);
      expect(candle?.f).toBeLessThanOrEqual(trade.id);
      expect(candle?.ls).toBeGreaterThanOrEqual(trade.id);
    }
  });

  it.each([
    ['1s', '1m'],
    ['1m', '5m'],
    ['1m', '1h'],
    ['1m', '1d'],
    ['5m', '1h'],
    ['1h', '1d'],
  ] as const)('rolling %s up to %s equals building it directly', (from, to) => {
    expect(differences(rollUpCandles(built.get(from) ?? [], to), built.get(to) ?? [])).toEqual([]);
  });
});
