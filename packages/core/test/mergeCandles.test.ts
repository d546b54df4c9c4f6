import {
  aggregateTrades,
  CandleMergeError,
  FootprintBuilder,
  type FootprintCandleDTO,
  generateFootprintCandles,
  InvalidCoreOptionsError,
  mergeCandles,
  rollUpCandles,
  type TimeframeName,
  type Trade,
  validateFootprintCandle,
} from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { LTC_OPTIONS, trade } from './tradeFixtures';

const START = Date.UTC(2025, 5, 21, 10, 0);

/** A deterministic, busy half hour of trades: prices on 0.01 ticks, quantities with 3 decimals. */
function halfHourOfTrades(): Trade[] {
  const trades: Trade[] = [];
  let price = 8_000;
  for (let index = 0; index < 3_000; index += 1) {
    price += ((index * 7919) % 5) - 2;
    const quantity = (((index * 104_729) % 50_000) + 1) / 1000;
    trades.push(
      trade(
        START + index * 600 + (index % 7),
        price / 100,
        quantity,
        index % 3 === 0 ? 'sell' : 'buy',
        index + 1,
      ),
    );
  }
  return trades;
}

describe('mergeCandles / rollUpCandles', () => {
  const trades = halfHourOfTrades();
  const oneMinute = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'] });

  it.each(['5m', '15m', '30m', '1h'] as const)(
    'rolling 1m up to %s equals building it directly, bins included',
    (target) => {
      const direct = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: [target] });
      expect(rollUpCandles(oneMinute, target)).toEqual(direct);
    },
  );

  it('a 5m candle equals the merge of its five 1m candles, and the result validates strictly', () => {
    const [direct] = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['5m'] });
    const merged = mergeCandles(oneMinute.slice(0, 5), '5m');
    expect(merged).toEqual(direct);
    expect(Object.keys(merged)).toEqual(Object.keys(direct as FootprintCandleDTO));
    expect(validateFootprintCandle(merged, { strict: true }).ok).toBe(true);
  });

  it('does not depend on the order of the parts', () => {
    const parts = oneMinute.slice(5, 10);
    expect(mergeCandles([...parts].reverse(), '5m')).toEqual(mergeCandles(parts, '5m'));
  });

  it('merges partial merges again (associative)', () => {
    const [a, b, c] = oneMinute.slice(0, 3) as [FootprintCandleDTO, FootprintCandleDTO, FootprintCandleDTO];
    const left = mergeCandles([mergeCandles([a, b], '5m'), c], '5m');
    const right = mergeCandles([a, mergeCandles([b, c], '5m')], '5m');
    expect(left).toEqual(right);
    expect(left).toEqual(mergeCandles([a, b, c], '5m'));
  });

  it('derives dMax/dMin of the merge from the parts exactly as the running delta over all trades', () => {
    const swing = [
      trade(START, 80, 5, 'buy', 1),
      trade(START + 60_000, 80, 8, 'sell', 2),
      trade(START + 120_000, 80, 10, 'buy', 3),
      trade(START + 120_001, 80, 9, 'sell', 4),
    ];
    const parts = aggregateTrades(swing, { ...LTC_OPTIONS, timeframes: ['1m'] });
    expect(parts.map((candle) => [candle.dMax, candle.dMin])).toEqual([
      [5, 0],
      [0, -8],
      [10, 0],
    ]);
    expect(mergeCandles(parts, '5m')).toMatchObject({ d: -2, dMax: 7, dMin: -3 });
  });

  it('keeps candles without trades out of prices, ids and delta', () => {
    const [empty] = generateFootprintCandles({
      seed: 1,
      count: 1,
      emptyRatio: 1,
      symbol: 'LTCUSDT',
      tickValue: 0.01,
      startTime: START + 4 * 60_000,
      startPrice: 1,
    });
    const parts = [...oneMinute.slice(0, 4), empty as FootprintCandleDTO];
    const merged = mergeCandles(parts, '5m');
    // Only x differs: the complete empty last minute proves the 5m period over, minutes 0-3 alone do not.
    expect(merged).toEqual({ ...mergeCandles(oneMinute.slice(0, 4), '5m'), x: true });
  });

  it('merges only-empty candles into a valid empty candle', () => {
    const empties = generateFootprintCandles({ seed: 2, count: 5, emptyRatio: 1, startTime: START });
    const merged = mergeCandles(empties, '5m');
    expect(merged).toMatchObject({ n: 0, v: 0, aggs: [], f: 0, ls: 0, dMax: 0, dMin: 0, i: '5m', t: START });
    expect(validateFootprintCandle(merged, { strict: true }).ok).toBe(true);
  });

  it('drops per-bin quote volumes it cannot sum completely', () => {
    const parts = oneMinute
      .slice(0, 2)
      .map((candle, index) =>
        index === 0
          ? { ...candle, aggs: candle.aggs.map(({ tp, bv, sv, v }) => ({ tp, bv, sv, v })) }
          : candle,
      );
    const merged = mergeCandles(parts, '5m');
    const firstPartPrices = new Set(parts[0]?.aggs.map((bin) => bin.tp));
    for (const bin of merged.aggs) expect(bin.q === undefined).toBe(firstPartPrices.has(bin.tp));
  });

  it('sets x from the parts unless told', () => {
    const parts = oneMinute.slice(0, 5);
    expect(mergeCandles(parts, '5m').x).toBe(true);
    expect(
      mergeCandles([...parts.slice(0, 4), { ...(parts[4] as FootprintCandleDTO), x: false }], '5m').x,
    ).toBe(false);
    expect(mergeCandles(parts, '5m', { complete: false }).x).toBe(false);
  });

  describe('x when the target period may still be trading', () => {
    // Two traded minutes, closed by the clock at 10:02:00.001: the 5m and 1h periods are still open.
    function closedByClock(): FootprintCandleDTO[] {
      const builder = new FootprintBuilder({ ...LTC_OPTIONS, timeframes: ['1m'] });
      return [
        ...builder.push(trade(START + 5_000, 80, 1, 'buy', 1)),
        ...builder.push(trade(START + 65_000, 80.5, 2, 'sell', 2)),
        ...builder.advanceTo(START + 120_001),
      ];
    }

    it('complete minutes do not make an unfinished hour complete', () => {
      const minutes = closedByClock();
      expect(minutes.map((candle) => candle.x)).toEqual([true, true]);
      expect(mergeCandles(minutes, '5m').x).toBe(false);
      expect(rollUpCandles(minutes, '1h').map((candle) => candle.x)).toEqual([false]);
      expect(mergeCandles(minutes, '5m', { complete: true }).x).toBe(true);
      expect(rollUpCandles(minutes, '1h', { complete: true })[0]?.x).toBe(true);
    });

    it('a period whose last minutes had no trades is complete once a later candle shows its end passed', () => {
      const trades = [
        trade(START + 5_000, 80, 1, 'buy', 1),
        trade(START + 65_000, 80.5, 2, 'sell', 2),
        trade(START + 7 * 60_000, 81, 3, 'buy', 3),
        trade(START + 61 * 60_000, 81, 3, 'buy', 4),
      ];
      const minutes = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'] });
      for (const target of ['5m', '1h'] as const) {
        const direct = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: [target] });
        expect(rollUpCandles(minutes, target)).toEqual(direct);
      }
      expect(rollUpCandles(minutes, '5m').map((candle) => candle.x)).toEqual([true, true, false]);
      // Without the later candles the parts alone cannot prove 10:02-10:04 passed.
      expect(mergeCandles(minutes.slice(0, 2), '5m').x).toBe(false);
    });

    it('a period whose last minute is complete is complete without a later candle', () => {
      const trades = [trade(START + 5_000, 80, 1, 'buy', 1), trade(START + 4 * 60_000, 81, 1, 'sell', 2)];
      const minutes = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'], trailing: 'complete' });
      expect(mergeCandles(minutes, '5m').x).toBe(true);
      expect(rollUpCandles(minutes, '1h')[0]?.x).toBe(false);
    });
  });

  it('refuses a bin whose tick units exceed 2^53 instead of re-binning it into a neighbouring tick', () => {
    const options = { ...LTC_OPTIONS, tickValue: 1e-12, timeframes: ['1m'] } as const;
    const [part] = aggregateTrades([trade(START, 9000.123456789013, 1, 'buy', 1)], options);
    const bin = part?.aggs[0] as FootprintCandleDTO['aggs'][number];
    const beyond = { ...(part as FootprintCandleDTO), aggs: [{ ...bin, tp: 9999.123456789013 }] };
    expect(() => mergeCandles([beyond], '5m')).toThrow(CandleMergeError);
    expect(() => mergeCandles([beyond], '5m')).toThrow('2^53');
  });

  it("an unknown target timeframe is an invalid argument, as for every timeframe helper; a part's stays a merge error", () => {
    const bogus = 'bogus' as TimeframeName;
    for (const merge of [
      () => mergeCandles(oneMinute.slice(0, 5), bogus),
      () => rollUpCandles(oneMinute, bogus),
    ]) {
      expect(merge).toThrow(InvalidCoreOptionsError);
      expect(merge).toThrow('Unknown timeframe "bogus"');
    }
    const unknownPart = { ...(oneMinute[0] as FootprintCandleDTO), i: '7m' };
    expect(() => mergeCandles([unknownPart], '5m')).toThrow(CandleMergeError);
    expect(() => rollUpCandles([unknownPart], '5m')).toThrow('unknown timeframe');
  });

  it.each<[string, () => FootprintCandleDTO[], string]>([
    ['an empty list', () => [], 'empty list'],
    [
      'two series',
      () => [oneMinute[0] as FootprintCandleDTO, { ...(oneMinute[1] as FootprintCandleDTO), s: 'BTCUSDT' }],
      'series',
    ],
    [
      'two tick values',
      () => [oneMinute[0] as FootprintCandleDTO, { ...(oneMinute[1] as FootprintCandleDTO), tv: 0.1 }],
      'tick value',
    ],
    ['two periods', () => oneMinute.slice(4, 6), 'period'],
    ['a duplicate', () => [oneMinute[0] as FootprintCandleDTO, oneMinute[0] as FootprintCandleDTO], 'twice'],
    [
      'shared trades',
      () => [oneMinute[0] as FootprintCandleDTO, mergeCandles(oneMinute.slice(0, 2), '5m')],
      'share trades',
    ],
    [
      'a timeframe that does not divide the target',
      () => aggregateTrades(halfHourOfTrades(), { ...LTC_OPTIONS, timeframes: ['3m'] }).slice(0, 1),
      'does not divide',
    ],
  ])('rejects %s', (_, parts, message) => {
    expect(() => mergeCandles(parts(), '5m')).toThrow(CandleMergeError);
    expect(() => mergeCandles(parts(), '5m')).toThrow(message);
  });
});
