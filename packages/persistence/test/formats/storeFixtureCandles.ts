import { type FootprintCandleDTO, generateFootprintCandles } from '@flowtrace/core';

/**
 * What the committed store fixtures (written-*) hold, and how they were
 * written: `writeStoreFixture` replays these saves. The expected candles are
 * committed beside each fixture as JSON lines (numbers JSON cannot hold are
 * tagged, see `encodeCandleLine`), so a later change here does not move them.
 */
export interface FixtureSaves {
  /** saveMany calls, in order. */
  readonly batches: readonly (readonly FootprintCandleDTO[])[];
  /** Then save calls, one candle each (one-candle blocks, as live saves write). */
  readonly singles: readonly FootprintCandleDTO[];
}

export function fixtureSaves(): FixtureSaves {
  // Across midnight: two day partitions of a 1m series.
  const ltc = generateFootprintCandles({
    seed: 1,
    count: 30,
    bins: { min: 1, max: 12 },
    symbol: 'LTCUSDT',
    tickValue: 0.01,
    startPrice: 80,
    startTime: Date.UTC(2025, 5, 1, 23, 45),
  });
  const hourly = generateFootprintCandles({
    seed: 2,
    count: 6,
    bins: 4,
    exchange: 'bybit',
    symbol: 'ETHUSDT',
    timeframe: '1h',
    tickValue: 0.05,
    startPrice: 2500,
    withQuoteVolumes: false,
    startTime: Date.UTC(2025, 11, 31, 21),
  });
  const [odd] = generateFootprintCandles({
    seed: 3,
    count: 1,
    bins: 3,
    timeframe: '5m',
    startTime: Date.UTC(2025, 5, 2),
  });
  // What storage keeps faithfully although validation would refuse it: every number and string as given.
  const unusual: FootprintCandleDTO = {
    ...odd!,
    o: Number.NaN,
    d: -0,
    dMax: Number.POSITIVE_INFINITY,
    dMin: Number.NEGATIVE_INFINITY,
    a: 'ünïcødé 📈 (a FlatBuffer string cannot hold a lone surrogate; .ftcd can)',
    x: false,
    aggs: [
      { ...odd!.aggs[0]!, tp: 0.1 + 0.2 },
      { tp: odd!.aggs[1]!.tp, v: 1e-310, bv: 5e-324, sv: 0 },
      { ...odd!.aggs[2]!, bq: -0, q: 2 ** 53 + 2 },
    ],
  };
  const corrected = { ...ltc[4]!, c: ltc[4]!.c + 0.01, h: Math.max(ltc[4]!.h, ltc[4]!.c + 0.01) };
  return {
    batches: [ltc.slice(0, 27), hourly],
    // Live saves: the rest of the LTC series, a corrected version of an earlier candle, the unusual one.
    singles: [...ltc.slice(27), corrected, unusual],
  };
}

/** The candles a store holds after `saves`, per key the last version, ordered by series and open time. */
export function expectedCandles(saves: FixtureSaves): FootprintCandleDTO[] {
  const byKey = new Map<string, FootprintCandleDTO>();
  for (const candle of [...saves.batches.flat(), ...saves.singles])
    byKey.set(`${candle.ex}\u0000${candle.s}\u0000${candle.i}\u0000${candle.t}`, candle);
  return [...byKey.values()].sort(
    (a, b) => a.ex.localeCompare(b.ex) || a.s.localeCompare(b.s) || a.i.localeCompare(b.i) || a.t - b.t,
  );
}

/** One candle as a JSON line; NaN, ±Infinity and -0 as {"$number": "..."}. */
export function encodeCandleLine(candle: FootprintCandleDTO): string {
  return JSON.stringify(candle, (_key, value: unknown) => {
    if (typeof value !== 'number') return value;
    if (Number.isNaN(value) || !Number.isFinite(value) || Object.is(value, -0))
      return { $number: Object.is(value, -0) ? '-0' : String(value) };
    return value;
  });
}

export function decodeCandleLine(line: string): FootprintCandleDTO {
  return JSON.parse(line, (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && '$number' in value) {
      const text = (value as { $number: string }).$number;
      return text === '-0' ? -0 : Number(text);
    }
    return value;
  }) as FootprintCandleDTO;
}
