import type { FootprintCandleDTO } from '@flowtrace/core';

export const OPEN_TIME = Date.UTC(2025, 5, 21, 12, 0);

/** A small, hand-checked valid 1m LTCUSDT candle with three bins (tick 0.01). */
export function validCandle(): FootprintCandleDTO {
  return {
    e: 'CANDLESTICK',
    tz: 'UTC',
    ex: 'binance',
    a: '',
    s: 'LTCUSDT',
    i: '1m',
    vi: 60,
    t: OPEN_TIME,
    o: 83.29,
    h: 83.3,
    l: 83.28,
    c: 83.3,
    ct: OPEN_TIME + 59_999,
    v: 3.607,
    bv: 1.107,
    sv: 2.5,
    q: 300.43203,
    bq: 92.19203,
    sq: 208.24,
    n: 5,
    d: -1.393,
    dMax: 0.5,
    dMin: -2,
    tv: 0.01,
    aggs: [
      { tp: 83.28, bv: 1, sv: 0.5, v: 1.5, bq: 83.28, sq: 41.64, q: 124.92 },
      { tp: 83.29, bv: 0.107, sv: 0, v: 0.107, bq: 8.91203, sq: 0, q: 8.91203 },
      { tp: 83.3, bv: 0, sv: 2, v: 2, bq: 0, sq: 166.6, q: 166.6 },
    ],
    f: 100,
    ls: 104,
    x: true,
  };
}

/** A valid candle without trades. */
export function emptyCandle(): FootprintCandleDTO {
  return {
    ...validCandle(),
    o: 83.3,
    h: 83.3,
    l: 83.3,
    c: 83.3,
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
    aggs: [],
    f: 0,
    ls: 0,
  };
}
