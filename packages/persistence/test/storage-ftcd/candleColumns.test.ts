import { generateFootprintCandles } from '@flowtrace/core';
import { describe, expect, it } from 'vitest';
import { CandleColumns } from '../../src/shared/storage/serialization/binary/CandleColumns';
import { expectSameCandles } from '../contract/candleAssertions';

const candles = generateFootprintCandles({ seed: 8, count: 40, bins: { min: 1, max: 9 } });

describe('CandleColumns', () => {
  it('holds copies of candles exactly and builds equal fresh objects', () => {
    const columns = CandleColumns.from(candles);
    expect(columns.count).toBe(candles.length);
    expectSameCandles(
      candles.map((_, row) => columns.candle(row)),
      candles,
    );
    // Sized exactly: a saveMany allocates its columns once, never grows them.
    expect(columns.numbers.t.length).toBe(candles.length);
    expect(columns.bins.tp.length).toBe(candles.reduce((sum, candle) => sum + candle.aggs.length, 0));
  });

  it('grows past its capacity without losing rows', () => {
    const columns = CandleColumns.create(1, 1);
    for (const candle of candles) columns.append(candle);
    expectSameCandles(
      candles.map((_, row) => columns.candle(row)),
      candles,
    );
  });

  it('clear() forgets every row and keeps its arrays: rows appended after it are exact, nothing of before shows', () => {
    const columns = CandleColumns.from(candles);
    const arrays = { t: columns.numbers.t, tp: columns.bins.tp, bq: columns.present.bq };
    columns.clear();
    expect(columns.count).toBe(0);
    expect(columns.binCount).toBe(0);
    expect(columns.text.s).toHaveLength(0);
    // Other candles, optional bin fields absent: flags left by the earlier rows must not leak.
    const next = generateFootprintCandles({ seed: 9, count: 10, bins: 3, withQuoteVolumes: false });
    for (const candle of next) columns.append(candle);
    expectSameCandles(
      next.map((_, row) => columns.candle(row)),
      next,
    );
    expect(columns.numbers.t).toBe(arrays.t);
    expect(columns.bins.tp).toBe(arrays.tp);
    expect(columns.present.bq).toBe(arrays.bq);
  });

  it('rowEquals follows candlesEqual: -0 differs from 0, an absent optional bin field from a present one', () => {
    const [base] = candles as [(typeof candles)[number]];
    const variants = [
      { ...base },
      { ...base, d: base.d === 0 ? -0 : 0 },
      { ...base, aggs: base.aggs.map(({ bq: _, ...bin }) => bin) },
      { ...base, x: !base.x },
      { ...base, s: `${base.s}X` },
    ];
    const columns = CandleColumns.from([base, ...variants]);
    expect(columns.rowEquals(0, columns, 1)).toBe(true);
    for (let row = 2; row <= variants.length; row += 1)
      expect(columns.rowEquals(0, columns, row)).toBe(false);
  });
});
