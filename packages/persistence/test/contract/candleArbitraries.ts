import type { FootprintCandleDTO, PriceBinDTO, TimeframeName } from '@flowtrace/core';
import fc from 'fast-check';

/** Numbers that stress an exact codec: -0, subnormals, huge values, values off the tick grid. */
export const trickyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.1,
    0.30000000000000004,
    65000.1,
    5e-324,
    1e300,
    -1e-300,
    2 ** 53,
    123456.789012345,
  ),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.integer({ min: 0, max: 10_000_000 }).map((units) => units / 1000),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

export const binArbitrary: fc.Arbitrary<PriceBinDTO> = fc
  .record({
    tp: trickyNumber,
    bv: trickyNumber,
    sv: trickyNumber,
    v: trickyNumber,
    bq: fc.option(trickyNumber, { nil: undefined }),
    sq: fc.option(trickyNumber, { nil: undefined }),
    q: fc.option(trickyNumber, { nil: undefined }),
  })
  .map((bin) => {
    const clean: PriceBinDTO = { tp: bin.tp, bv: bin.bv, sv: bin.sv, v: bin.v };
    if (bin.bq !== undefined) clean.bq = bin.bq;
    if (bin.sq !== undefined) clean.sq = bin.sq;
    if (bin.q !== undefined) clean.q = bin.q;
    return clean;
  });

/** Everything of a candle except its key. */
export type CandleBody = Omit<FootprintCandleDTO, 'ex' | 's' | 'i' | 't'>;

export const candleBodyArbitrary: fc.Arbitrary<CandleBody> = fc.record({
  e: fc.constantFrom('CANDLESTICK', 'candle', ''),
  tz: fc.constantFrom('UTC', 'Europe/Zürich'),
  a: fc.constantFrom('', 'spot', 'LTC', '💹'),
  vi: fc.constantFrom(60, 3600),
  o: trickyNumber,
  h: trickyNumber,
  l: trickyNumber,
  c: trickyNumber,
  ct: trickyNumber,
  v: trickyNumber,
  bv: trickyNumber,
  sv: trickyNumber,
  q: trickyNumber,
  bq: trickyNumber,
  sq: trickyNumber,
  n: fc.nat({ max: 1_000_000 }),
  d: trickyNumber,
  dMax: trickyNumber,
  dMin: trickyNumber,
  tv: fc.constantFrom(0.1, 0.01, 0.5, 1, 1e-8),
  aggs: fc.array(binArbitrary, { maxLength: 6 }),
  f: fc.nat(),
  ls: fc.nat(),
  x: fc.boolean(),
});

export const SERIES_POOL: readonly { ex: string; s: string; i: TimeframeName; stepMs: number }[] = [
  // 6 h apart: 1m candles across two day-partitions.
  { ex: 'binance', s: 'BTCUSDT', i: '1m', stepMs: 6 * 3_600_000 },
  { ex: 'binance', s: 'LTCUSDT', i: '1m', stepMs: 6 * 3_600_000 },
  // 10 days apart: 1h candles across month partitions.
  { ex: 'bybit', s: 'BTCUSDT', i: '1h', stepMs: 10 * 86_400_000 },
];
export const BASE_TIME = Date.UTC(2025, 5, 30, 12);
export const TIME_SLOTS = 6;

export function candleAt(seriesIndex: number, slot: number, body: CandleBody): FootprintCandleDTO {
  const series = SERIES_POOL[seriesIndex]!;
  const { aggs, ...rest } = body;
  return {
    ...rest,
    ex: series.ex,
    s: series.s,
    i: series.i,
    t: BASE_TIME + slot * series.stepMs,
    aggs: aggs.map((bin) => ({ ...bin })),
  };
}
