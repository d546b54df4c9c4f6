import {
  footprintCandleStream,
  generateFootprintCandles,
  InvalidCoreOptionsError,
  isOnTick,
  TIMEFRAME_DURATION_MS,
  tickSizeOf,
  validateFootprintCandle,
} from '@flowtrace/core';
import { describe, expect, it } from 'vitest';

describe('generateFootprintCandles', () => {
  it('is deterministic: same options give identical candles, another seed different ones', () => {
    const options = { seed: 42, count: 200 };
    expect(generateFootprintCandles(options)).toEqual(generateFootprintCandles(options));
    expect(generateFootprintCandles({ seed: 43, count: 200 })).not.toEqual(generateFootprintCandles(options));
  });

  it('applies the documented defaults', () => {
    const [first] = generateFootprintCandles({ seed: 1, count: 1, emptyRatio: 0 });
    expect(first).toMatchObject({
      ex: 'binance',
      s: 'BTCUSDT',
      i: '1m',
      vi: 60,
      t: Date.UTC(2025, 5, 1),
      tv: 0.1,
    });
    expect(Math.abs((first?.o ?? 0) - 65_000)).toBeLessThan(50);
  });

  it.each([0.1, 0.01, 0.5, 1, 0.00001])('every candle passes strict validation with tick %d', (tickValue) => {
    const candles = generateFootprintCandles({
      seed: 9,
      count: 600,
      tickValue,
      startPrice: tickValue < 0.001 ? 0.42 : 65_000,
    });
    for (const candle of candles) {
      const result = validateFootprintCandle(candle, { strict: true });
      if (!result.ok) throw new Error(`${JSON.stringify(result.issues)} in ${JSON.stringify(candle)}`);
      const tick = tickSizeOf(tickValue);
      const offTick = candle.aggs.filter((priceBin) => !isOnTick(priceBin.tp, tick));
      if (offTick.length > 0) throw new Error(`bins off tick: ${JSON.stringify(offTick)}`);
    }
  });

  it('produces consecutive candles one timeframe apart from an aligned start', () => {
    const startTime = Date.UTC(2025, 0, 1, 4);
    const candles = generateFootprintCandles({ seed: 3, count: 50, timeframe: '4h', startTime });
    candles.forEach((candle, index) => {
      expect(candle.t).toBe(startTime + index * TIMEFRAME_DURATION_MS['4h']);
      expect(candle.i).toBe('4h');
      expect(candle.vi).toBe(4 * 3600);
    });
  });

  it('gives every non-empty candle exactly N bins when bins is a number', () => {
    const candles = generateFootprintCandles({ seed: 5, count: 500, bins: 50 });
    const traded = candles.filter((candle) => candle.n > 0);
    expect(traded.length).toBeGreaterThan(450);
    for (const candle of traded) expect(candle.aggs).toHaveLength(50);
  });

  it('keeps bin counts inside a range and uses the whole range', () => {
    const candles = generateFootprintCandles({
      seed: 5,
      count: 2000,
      bins: { min: 3, max: 40 },
      emptyRatio: 0,
    });
    const counts = candles.map((candle) => candle.aggs.length);
    expect(Math.min(...counts)).toBe(3);
    expect(Math.max(...counts)).toBe(40);
  });

  it('makes about emptyRatio of the candles empty, and empty candles are proper empty candles', () => {
    const candles = generateFootprintCandles({ seed: 11, count: 4000, emptyRatio: 0.25 });
    const empty = candles.filter((candle) => candle.n === 0);
    expect(empty.length / candles.length).toBeGreaterThan(0.22);
    expect(empty.length / candles.length).toBeLessThan(0.28);
    for (const candle of empty) {
      expect(candle).toMatchObject({ v: 0, q: 0, d: 0, dMax: 0, dMin: 0, f: 0, ls: 0, aggs: [] });
      expect(new Set([candle.o, candle.h, candle.l, candle.c]).size).toBe(1);
    }
  });

  it('has bursts: some candles trade far more than the median', () => {
    const counts = generateFootprintCandles({ seed: 17, count: 2000 })
      .map((candle) => candle.n)
      .sort((a, b) => a - b);
    const median = counts[counts.length >> 1] ?? 0;
    expect(counts.at(-1)).toBeGreaterThan(median * 10);
  });

  it('uses realistic 3 to 8 decimal volumes', () => {
    const decimals = new Set<number>();
    for (const candle of generateFootprintCandles({ seed: 2, count: 300, emptyRatio: 0 })) {
      for (const priceBin of candle.aggs) decimals.add((String(priceBin.v).split('.')[1] ?? '').length);
    }
    expect(Math.max(...decimals)).toBe(8);
    expect([...decimals].every((count) => count <= 8)).toBe(true);
  });

  it('omits per-bin quote volumes when asked, keeping candle quote totals', () => {
    const candles = generateFootprintCandles({ seed: 4, count: 100, withQuoteVolumes: false, emptyRatio: 0 });
    for (const candle of candles) {
      expect(candle.q).toBeGreaterThan(0);
      for (const priceBin of candle.aggs) expect(Object.keys(priceBin)).toEqual(['tp', 'bv', 'sv', 'v']);
    }
  });

  it('streams without end when count is Infinity', () => {
    const stream = footprintCandleStream({ seed: 8, count: Number.POSITIVE_INFINITY });
    const first = [];
    for (const candle of stream) {
      first.push(candle);
      if (first.length === 10) break;
    }
    expect(first).toEqual(generateFootprintCandles({ seed: 8, count: 10 }));
  });

  it.each([
    [{ seed: 1, count: 1, startTime: Date.UTC(2025, 0, 1) + 1 }, 'startTime'],
    [{ seed: 1, count: 1, tickValue: 0 }, 'tickValue'],
    [{ seed: 1, count: 1, symbol: '../x' }, 'symbol'],
    [{ seed: 1, count: 1, bins: { min: 5, max: 2 } }, 'bins'],
    [{ seed: 1, count: Number.POSITIVE_INFINITY }, 'finite count'],
  ])('rejects invalid options (%j)', (options, mentioned) => {
    expect(() => generateFootprintCandles(options)).toThrow(InvalidCoreOptionsError);
    expect(() => generateFootprintCandles(options)).toThrow(mentioned);
  });
});
