import {
  aggregateTrades,
  DecimalAccumulator,
  decimalFromNumber,
  decimalToString,
  type FootprintCandleDTO,
  generateFootprintCandles,
  mergeCandles,
  rollUpCandles,
  type Trade,
  validateFootprintCandle,
} from '@flowtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LTC_OPTIONS } from './tradeFixtures';

const HOUR = 3_600_000;
const BASE_TIME = Date.UTC(2025, 5, 21);

/**
 * Time-ordered trades as an exchange prints them: prices on 0.01 ticks around
 * 80 (random walk), quantities with 0 to 4 decimals, ids increasing with gaps,
 * spread over up to ~3 hours starting at an arbitrary millisecond.
 */
const tradesArbitrary: fc.Arbitrary<Trade[]> = fc
  .record({
    start: fc.integer({ min: 0, max: 24 * HOUR }),
    steps: fc.array(
      fc.record({
        gapMs: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 400_000 })),
        priceStep: fc.integer({ min: -3, max: 3 }),
        quantityUnits: fc.integer({ min: 1, max: 50_000 }),
        quantityDecimals: fc.integer({ min: 0, max: 4 }),
        sell: fc.boolean(),
        idGap: fc.integer({ min: 1, max: 3 }),
      }),
      { minLength: 1, maxLength: 200 },
    ),
  })
  .map(({ start, steps }) => {
    let time = BASE_TIME + start;
    let priceTicks = 8_000;
    let tradeId = 1_000;
    return steps.map((step) => {
      time += step.gapMs;
      priceTicks = Math.max(1, priceTicks + step.priceStep);
      tradeId += step.idGap;
      return {
        time,
        price: priceTicks / 100,
        quantity: step.quantityUnits / 10 ** step.quantityDecimals,
        isBuyerMaker: step.sell,
        tradeId,
      };
    });
  });

function exactSum(values: Iterable<number>): string {
  const sum = new DecimalAccumulator();
  for (const value of values) sum.add(decimalFromNumber(value));
  return decimalToString(sum.value());
}

describe('properties', () => {
  it('every generated candle validates strictly, whatever the options', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer(),
          tickValue: fc.constantFrom(0.1, 0.01, 0.5, 1, 0.00001, 0.25),
          timeframe: fc.constantFrom('1s', '1m', '5m', '1h', '1d' as const),
          bins: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant({ min: 1, max: 30 })),
          emptyRatio: fc.double({ min: 0, max: 1, noNaN: true }),
          withQuoteVolumes: fc.boolean(),
        }),
        (options) => {
          const candles = generateFootprintCandles({
            ...options,
            count: 20,
            startPrice: options.tickValue < 0.001 ? 0.35 : 2_000,
          });
          for (const candle of candles) {
            const result = validateFootprintCandle(candle, { strict: true });
            if (!result.ok) throw new Error(JSON.stringify(result.issues));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('built candles validate, and bin volumes sum exactly to the candle and to the trades', () => {
    fc.assert(
      fc.property(tradesArbitrary, (trades) => {
        const candles = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m', '1h'] });
        for (const timeframe of ['1m', '1h']) {
          const ofTimeframe = candles.filter((candle) => candle.i === timeframe);
          expect(ofTimeframe.reduce((count, candle) => count + candle.n, 0)).toBe(trades.length);
          expect(exactSum(ofTimeframe.map((candle) => candle.v))).toBe(
            exactSum(trades.map((trade) => trade.quantity)),
          );
        }
        for (const candle of candles) {
          const result = validateFootprintCandle(candle, { strict: true });
          if (!result.ok) throw new Error(JSON.stringify(result.issues));
          expect(exactSum(candle.aggs.map((bin) => bin.v))).toBe(exactSum([candle.v]));
          expect(exactSum(candle.aggs.map((bin) => bin.bv))).toBe(exactSum([candle.bv]));
          expect(exactSum(candle.aggs.map((bin) => bin.q ?? 0))).toBe(exactSum([candle.q]));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rolling 1m up to 5m and 1h equals building them directly (deep equality, bins included)', () => {
    fc.assert(
      fc.property(tradesArbitrary, (trades) => {
        const oneMinute = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'] });
        for (const target of ['5m', '1h'] as const) {
          expect(rollUpCandles(oneMinute, target)).toEqual(
            aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: [target] }),
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it('merge is associative and independent of grouping', () => {
    fc.assert(
      fc.property(tradesArbitrary, fc.nat(), fc.nat(), (trades, cutA, cutB) => {
        const oneMinute = aggregateTrades(trades, { ...LTC_OPTIONS, timeframes: ['1m'] });
        const firstHour = alignHour((oneMinute[0] as FootprintCandleDTO).t);
        const parts = oneMinute.filter((candle) => alignHour(candle.t) === firstHour);
        const [i, j] = [cutA % (parts.length + 1), cutB % (parts.length + 1)].sort((a, b) => a - b) as [
          number,
          number,
        ];
        const a = parts.slice(0, i);
        const b = parts.slice(i, j);
        const c = parts.slice(j);
        const merge = (group: FootprintCandleDTO[]) =>
          group.length === 0 ? [] : [mergeCandles(group, '1h')];
        const whole = mergeCandles(parts, '1h');
        expect(mergeCandles([...merge([...a, ...b]), ...c], '1h')).toEqual(whole);
        expect(mergeCandles([...a, ...merge([...b, ...c])], '1h')).toEqual(whole);
        expect(mergeCandles([...merge(a), ...merge(b), ...merge(c)], '1h')).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });
});

function alignHour(time: number): number {
  return time - (time % HOUR);
}
