import {
  aggregateTradeStream,
  aggregateTrades,
  DuplicateTradeError,
  FootprintBuilder,
  type FootprintCandleDTO,
  InvalidCoreOptionsError,
  InvalidTradeError,
  LateTradeError,
  type TradeSide,
  takerSideOf,
  tradeFromSide,
  validateFootprintCandle,
} from '@flowtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TradeIdSet } from '../src/building/TradeIdSet';
import { FIRST_LTC_MINUTE, FIRST_LTC_TRADES, LTC_OPTIONS, trade } from './tradeFixtures';

const MINUTE = 60_000;

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

describe('FootprintBuilder', () => {
  it('builds the first LTCUSDT minute exactly (hand-checked figures)', () => {
    const builder = new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m'] });
    for (const each of FIRST_LTC_TRADES) expect(builder.push(each)).toEqual([]);
    const completed = builder.push(trade(FIRST_LTC_MINUTE + MINUTE + 5, 83.3, 1, 'buy', 293517772));
    const expected: FootprintCandleDTO = {
      e: 'CANDLESTICK',
      tz: 'UTC',
      ex: 'binance',
      a: '',
      s: 'LTCUSDT',
      i: '1m',
      vi: 60,
      t: FIRST_LTC_MINUTE,
      o: 83.29,
      h: 83.29,
      l: 83.28,
      c: 83.28,
      ct: FIRST_LTC_MINUTE + 59_999,
      v: 2.309,
      bv: 2.08,
      sv: 0.229,
      q: 192.31432,
      bq: 173.2432,
      sq: 19.07112,
      n: 4,
      d: 1.851,
      dMax: 2.08,
      dMin: 0,
      tv: 0.01,
      aggs: [
        { tp: 83.28, bv: 0, sv: 0.229, v: 0.229, bq: 0, sq: 19.07112, q: 19.07112 },
        { tp: 83.29, bv: 2.08, sv: 0, v: 2.08, bq: 173.2432, sq: 0, q: 173.2432 },
      ],
      f: 293517768,
      ls: 293517771,
      x: true,
    };
    const candle = only(completed);
    expect(candle).toEqual(expected);
    expect(Object.keys(candle)).toEqual(Object.keys(expected));
    expect(validateFootprintCandle(candle, { strict: true })).toMatchObject({ ok: true, warnings: [] });
  });

  it('sums quantities without drift: ten trades of 0.1 make exactly 1', () => {
    const trades = Array.from({ length: 10 }, (_, index) =>
      trade(FIRST_LTC_MINUTE + index, 0.3, 0.1, 'buy', index + 1),
    );
    const candle = only(aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'] }));
    expect(candle.v).toBe(1);
    expect(candle.q).toBe(0.3);
    expect(candle.dMax).toBe(1);
  });

  it('tracks the running delta from 0: only sells give dMax 0, and extremes inside the candle count', () => {
    const sells = [trade(FIRST_LTC_MINUTE, 80, 1, 'sell', 1), trade(FIRST_LTC_MINUTE + 1, 80, 2, 'sell', 2)];
    expect(only(aggregateTrades(sells, { ...LTC_OPTIONS, timeframes: ['1m'] }))).toMatchObject({
      dMax: 0,
      dMin: -3,
      d: -3,
    });
    const swing = [
      trade(FIRST_LTC_MINUTE, 80, 5, 'buy', 1),
      trade(FIRST_LTC_MINUTE + 1, 80, 8, 'sell', 2),
      trade(FIRST_LTC_MINUTE + 2, 80, 1, 'buy', 3),
    ];
    expect(only(aggregateTrades(swing, { ...LTC_OPTIONS, timeframes: ['1m'] }))).toMatchObject({
      dMax: 5,
      dMin: -3,
      d: -2,
    });
  });

  it('closes candles as time passes, for every timeframe, and skips minutes without trades', () => {
    const builder = new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m', '5m'] });
    const start = Date.UTC(2025, 5, 21, 10, 0);
    expect(builder.push(trade(start + 10, 80, 1, 'buy', 1))).toEqual([]);
    expect(builder.push(trade(start + MINUTE - 1, 80, 1, 'buy', 2))).toEqual([]);
    const afterGap = builder.push(trade(start + 3 * MINUTE, 80.5, 1, 'sell', 3));
    expect(afterGap.map((candle) => [candle.i, candle.t, candle.n, candle.x])).toEqual([
      ['1m', start, 2, true],
    ]);
    const nextPeriod = builder.push(trade(start + 5 * MINUTE, 81, 1, 'sell', 4));
    expect(nextPeriod.map((candle) => [candle.i, candle.t, candle.n])).toEqual([
      ['1m', start + 3 * MINUTE, 1],
      ['5m', start, 3],
    ]);
    const open = builder.flush();
    expect(open.map((candle) => [candle.i, candle.t, candle.n, candle.x])).toEqual([
      ['1m', start + 5 * MINUTE, 1, false],
      ['5m', start + 5 * MINUTE, 1, false],
    ]);
    expect(builder.flush()).toEqual([]);
  });

  it('snapshot shows open candles without forgetting them; advanceTo completes them by the clock', () => {
    const builder = new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m'] });
    builder.push(FIRST_LTC_TRADES[0] as never);
    const snapshot = only(builder.snapshot());
    expect(snapshot).toMatchObject({ x: false, n: 1 });
    expect(builder.advanceTo(FIRST_LTC_MINUTE + 59_999)).toEqual([]);
    const completed = only(builder.advanceTo(FIRST_LTC_MINUTE + MINUTE));
    expect(completed).toEqual({ ...snapshot, x: true });
    expect(builder.snapshot()).toEqual([]);
    expect(() => builder.push(FIRST_LTC_TRADES[1] as never)).toThrow(LateTradeError);
  });

  it('rejects late and malformed trades with typed errors and keeps its state', () => {
    const builder = new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m'] });
    builder.push(trade(FIRST_LTC_MINUTE + 30_000, 80, 1, 'buy', 10));
    const before = builder.snapshot();
    expect(() => builder.push(trade(FIRST_LTC_MINUTE - 1, 80, 1, 'buy', 9))).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_LATE_TRADE' }),
    );
    for (const bad of [
      trade(FIRST_LTC_MINUTE + 31_000, Number.NaN, 1, 'buy', 11),
      trade(FIRST_LTC_MINUTE + 31_000, 0, 1, 'buy', 11),
      trade(FIRST_LTC_MINUTE + 31_000, 80, -1, 'buy', 11),
      trade(FIRST_LTC_MINUTE + 31_000, 80, 1, 'buy', 1.5),
      trade(FIRST_LTC_MINUTE + 31_000.5, 80, 1, 'buy', 11),
    ]) {
      expect(() => builder.push(bad)).toThrow(InvalidTradeError);
    }
    expect(builder.snapshot()).toEqual(before);
    // Out of order inside the open candle is fine: o/c follow arrival, f/ls are the id extremes.
    builder.push(trade(FIRST_LTC_MINUTE + 1_000, 79, 1, 'sell', 8));
    expect(only(builder.snapshot())).toMatchObject({ o: 80, c: 79, l: 79, f: 8, ls: 10, n: 2 });
  });

  it('refuses a time in microseconds, or so far out that a candle end is no safe integer, instead of dating candles millennia ahead', () => {
    const builder = new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m', '1d'] });
    const micros = trade(FIRST_LTC_MINUTE * 1000 + 5, 80, 1, 'buy', 1);
    expect(() => builder.push(micros)).toThrow(InvalidTradeError);
    expect(() => builder.push(micros)).toThrow('microseconds');
    // Before: accepted, and the 1d candle closed at 9007199308799999 > 2^53, failing validation.
    expect(() => builder.push(trade(Number.MAX_SAFE_INTEGER, 80, 1, 'buy', 2))).toThrow(InvalidTradeError);
    expect(builder.snapshot()).toEqual([]);
    // The largest accepted magnitudes still give valid candles.
    const extremes = aggregateTrades(
      [trade(-(1e14 - 1), 80, 1, 'buy', 1), trade(1e14 - 1, 80, 1, 'buy', 2)],
      { ...LTC_OPTIONS, timeframes: ['1m', '1d'] },
    );
    expect(extremes.map((candle) => validateFootprintCandle(candle, { strict: true }).ok)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('refuses a price whose tick units exceed 2^53 rather than binning it into a neighbouring tick', () => {
    // 9999.123456789013 at tick 1e-12 is 9999123456789013 units, which a double cannot hold: it
    // was binned silently at index ...014. Real markets are orders of magnitude below this.
    const builder = new FootprintBuilder({ ...LTC_OPTIONS, tickValue: 1e-12, timeframes: ['1m'] });
    const huge = trade(FIRST_LTC_MINUTE, 9999.123456789013, 1, 'buy', 1);
    expect(() => builder.push(huge)).toThrow(InvalidTradeError);
    expect(() => builder.push(huge)).toThrow('2^53');
    builder.push(trade(FIRST_LTC_MINUTE, 9000.123456789013, 1, 'buy', 2));
    expect(only(builder.snapshot()).aggs.map((bin) => bin.tp)).toEqual([9000.123456789013]);
  });

  it('rejects a trade id already applied to its candle (a replayed feed) instead of counting it twice', () => {
    const builder = new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m', '1h'] });
    for (const each of FIRST_LTC_TRADES) builder.push(each);
    const before = builder.snapshot();
    // A reconnect replays the last trades: same ids, same times.
    for (const replayed of FIRST_LTC_TRADES) {
      expect(() => builder.push(replayed)).toThrow(DuplicateTradeError);
    }
    // Same id, other time inside the open candles: still the same trade.
    const first = FIRST_LTC_TRADES[0] as (typeof FIRST_LTC_TRADES)[number];
    expect(() => builder.push({ ...first, time: first.time + 10 })).toThrow(
      expect.objectContaining({ code: 'FLOWTRACE_DUPLICATE_TRADE' }),
    );
    expect(builder.snapshot()).toEqual(before);
    expect(only(builder.snapshot().filter((candle) => candle.i === '1m'))).toMatchObject({ n: 4, v: 2.309 });
    // New ids, in and out of order (filling the gap 293517772..293517773), are applied.
    builder.push(trade(FIRST_LTC_MINUTE + 50_000, 83.3, 1, 'buy', 293517775));
    builder.push(trade(FIRST_LTC_MINUTE + 50_001, 83.3, 1, 'buy', 293517773));
    builder.push(trade(FIRST_LTC_MINUTE + 50_002, 83.3, 1, 'buy', 293517772));
    builder.push(trade(FIRST_LTC_MINUTE + 50_003, 83.3, 1, 'buy', 293517774));
    expect(() => builder.push(trade(FIRST_LTC_MINUTE + 50_004, 83.3, 1, 'buy', 293517773))).toThrow(
      DuplicateTradeError,
    );
    // The next minute starts a new 1m candle, but the 1h candle still holds the replayed trade.
    expect(() => builder.push(trade(FIRST_LTC_MINUTE + MINUTE, 83.3, 1, 'buy', 293517775))).toThrow(
      /already applied to the 1h candle/,
    );
    const candles = aggregateTrades(FIRST_LTC_TRADES, { ...LTC_OPTIONS, timeframes: ['1m'] });
    expect(() =>
      aggregateTrades([...FIRST_LTC_TRADES, ...FIRST_LTC_TRADES.slice(2)], {
        ...LTC_OPTIONS,
        timeframes: ['1m'],
      }),
    ).toThrow(DuplicateTradeError);
    expect(only(candles)).toMatchObject({ n: 4, v: 2.309, ls: 293517771 });
  });

  it('TradeIdSet holds exactly the ids added, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 80 }), (ids) => {
        const set = new TradeIdSet();
        const seen = new Set<number>();
        for (const id of ids) {
          expect(set.has(id)).toBe(seen.has(id));
          if (!seen.has(id)) {
            set.add(id);
            seen.add(id);
          }
        }
        for (let id = -1; id <= 61; id += 1) expect(set.has(id)).toBe(seen.has(id));
      }),
    );
  });

  it('validates its options once', () => {
    expect(() => new FootprintBuilder({ ...LTC_OPTIONS, timeframes: [] })).toThrow(InvalidCoreOptionsError);
    expect(() => new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m', '1m'] })).toThrow(/repeat/);
    expect(() => new FootprintBuilder({ ...LTC_OPTIONS, symbol: 'a/b', timeframes: ['1m'] })).toThrow(
      /symbol/,
    );
    expect(() => new FootprintBuilder({ ...LTC_OPTIONS, tickValue: Math.PI, timeframes: ['1m'] })).toThrow(
      InvalidCoreOptionsError,
    );
  });

  it('two builders are independent', () => {
    const first = new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m'] });
    const second = new FootprintBuilder({ ...LTC_OPTIONS, symbol: 'BTCUSDT', timeframes: ['1m'] });
    first.push(FIRST_LTC_TRADES[0] as never);
    expect(second.snapshot()).toEqual([]);
    expect(only(first.snapshot()).s).toBe('LTCUSDT');
  });
});

describe('aggregateTrades', () => {
  const trades = [
    trade(Date.UTC(2025, 5, 21, 10, 0, 1), 80, 1, 'buy', 1),
    trade(Date.UTC(2025, 5, 21, 10, 4, 59), 80.01, 2, 'sell', 2),
    trade(Date.UTC(2025, 5, 21, 10, 6, 0), 80.02, 3, 'buy', 3),
  ];

  it('returns candles grouped by requested timeframe, then by time; the trailing ones open by default', () => {
    const candles = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['5m', '1m'] });
    expect(
      candles.map((candle) => [candle.i, new Date(candle.t).toISOString().slice(11, 16), candle.x]),
    ).toEqual([
      ['5m', '10:00', true],
      ['5m', '10:05', false],
      ['1m', '10:00', true],
      ['1m', '10:04', true],
      ['1m', '10:06', false],
    ]);
  });

  it('can mark the trailing candles complete or omit them', () => {
    const complete = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'], trailing: 'complete' });
    expect(complete.every((candle) => candle.x)).toBe(true);
    expect(aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'], trailing: 'omit' })).toHaveLength(2);
  });

  it('refuses a trailing other than open, complete or omit, before reading a trade', async () => {
    let read = 0;
    function* counted() {
      for (const each of trades) {
        read += 1;
        yield each;
      }
    }
    const invalid = { code: 'FLOWTRACE_INVALID_OPTIONS' };
    for (const trailing of ['bogus', 'Omit', '', null, 1]) {
      // Untyped callers (JavaScript, options parsed from a file) can pass anything here.
      const options = { ...LTC_OPTIONS, timeframes: ['1m'], trailing } as unknown as Parameters<
        typeof aggregateTrades
      >[1];
      let thrown: unknown;
      try {
        aggregateTrades(counted(), options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidCoreOptionsError);
      expect(thrown).toMatchObject(invalid);
      await expect(aggregateTradeStream(counted(), options)).rejects.toMatchObject(invalid);
    }
    expect(() =>
      aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'], trailing: 'bogus' as 'open' }),
    ).toThrow(
      'Invalid trade aggregation options: trailing must be one of "open", "complete", "omit", not "bogus"',
    );
    expect(read).toBe(0);
  });
});

describe('trade sides', () => {
  it('buy means the taker bought (isBuyerMaker false)', () => {
    const sided = { price: 1, quantity: 1, tradeId: 1, time: 1 };
    expect(tradeFromSide({ ...sided, side: 'buy' }).isBuyerMaker).toBe(false);
    expect(tradeFromSide({ ...sided, side: 'sell' }).isBuyerMaker).toBe(true);
    expect(takerSideOf({ isBuyerMaker: true })).toBe('sell');
  });

  it('tradeFromSide refuses a side other than buy/sell instead of counting it as a buy', () => {
    const sided = { price: 1, quantity: 1, tradeId: 7, time: 1 };
    for (const side of ['SELL', 'Sell', 'ask', '', undefined]) {
      expect(() => tradeFromSide({ ...sided, side: side as TradeSide })).toThrow(InvalidTradeError);
    }
    expect(() => tradeFromSide({ ...sided, side: 'SELL' as TradeSide })).toThrow(
      /side must be "buy" or "sell"/,
    );
  });
});
