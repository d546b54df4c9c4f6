import { type FootprintCandleDTO, generateFootprintCandles, validateFootprintCandle } from '@flowtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// Internal module: the rules are not part of the package's public API.
import { checkCandleRules } from '../src/validation/candleRules';
import { emptyCandle, validCandle } from './fixtures';
import { referenceCandleRules, referenceValidateFootprintCandle } from './reference/referenceValidation';

/*
 * Differential test of the hot-path validation (hand-written shape reader and
 * allocation-free rules) against the reference implementation it replaced
 * (zod shape schema + the original rules, kept verbatim in test/reference):
 * for valid candles and for thousands of randomly broken ones, the result must
 * be identical: same verdict, same issues in the same order with the same
 * texts, same DTO with the same key order.
 */

/** A serialisation that also shows key order, undefined values, holes, NaN and ±Infinity. */
function canonical(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let k = 0; k < value.length; k++) items.push(k in value ? canonical(value[k]) : '<hole>');
    return `[${items.join(',')}]`;
  }
  return `{${Object.keys(value)
    .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
    .join(',')}}`;
}

const CANDLE_KEYS = Object.keys(validCandle());
const BIN_KEYS = ['tp', 'bv', 'sv', 'v', 'bq', 'sq', 'q'];
const DELETE = Symbol('delete');

/** Values that break (or nearly break) a field: wrong types, non-finite, negative, off by a little or a lot. */
const oddValue = fc.oneof(
  fc.constantFrom<unknown>(
    DELETE,
    undefined,
    null,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -1,
    0,
    -0,
    0.5,
    1e-12,
    2 ** 53 + 2,
    '',
    '..',
    'LTC/USDT',
    'CANDLESTICK',
    'UTC',
    'Europe/Paris',
    '1m',
    '7m',
    true,
    false,
    {},
    [],
  ),
  fc.double({ noNaN: false }),
  fc.integer({ min: -1000, max: 1_000_000 }),
  fc.string({ maxLength: 8 }),
);

type Mutation =
  | { kind: 'field'; key: string; value: unknown }
  | { kind: 'nudge'; key: string; factor: number }
  | { kind: 'bin'; index: number; key: string; value: unknown }
  | { kind: 'binNudge'; index: number; key: string; factor: number }
  | { kind: 'extraKey'; inBin: boolean; index: number }
  | { kind: 'swapBins'; a: number; b: number }
  | { kind: 'duplicateBin'; index: number }
  | { kind: 'hole'; index: number }
  | { kind: 'binNotObject'; index: number; value: unknown }
  | { kind: 'stripQuotes' }
  | { kind: 'scale'; inBin: boolean; index: number; factors: number[] };

const factor = fc.constantFrom(1 + 5e-10, 1 + 5e-9, 1.001, 0.999, -1, 2, 0.5, 1.5);
const key = fc.constantFrom(...CANDLE_KEYS, 'extra');
const binKey = fc.constantFrom(...BIN_KEYS, 'extra');
const index = fc.oneof(fc.nat({ max: 3 }), fc.nat({ max: 60 }));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('field' as const), key, value: oddValue }),
  fc.record({ kind: fc.constant('nudge' as const), key, factor }),
  fc.record({ kind: fc.constant('bin' as const), index, key: binKey, value: oddValue }),
  fc.record({ kind: fc.constant('binNudge' as const), index, key: binKey, factor }),
  fc.record({ kind: fc.constant('extraKey' as const), inBin: fc.boolean(), index }),
  fc.record({ kind: fc.constant('swapBins' as const), a: index, b: index }),
  fc.record({ kind: fc.constant('duplicateBin' as const), index }),
  fc.record({ kind: fc.constant('hole' as const), index }),
  fc.record({ kind: fc.constant('binNotObject' as const), index, value: oddValue }),
  fc.record({ kind: fc.constant('stripQuotes' as const) }),
  // Many rules broken at once (e.g. every bin volume negative): checks the ORDER of the issues.
  fc.record({
    kind: fc.constant('scale' as const),
    inBin: fc.boolean(),
    index,
    factors: fc.array(factor, { minLength: 1, maxLength: 8 }),
  }),
);

function setOrDelete(target: Record<string, unknown>, field: string, value: unknown): void {
  if (value === DELETE) delete target[field];
  else target[field] = value;
}

function apply(candle: Record<string, unknown>, m: Mutation): void {
  const aggs = Array.isArray(candle.aggs) ? (candle.aggs as unknown[]) : [];
  const binAt = (k: number) => {
    const bin = aggs.length === 0 ? undefined : aggs[k % aggs.length];
    return typeof bin === 'object' && bin !== null ? (bin as Record<string, unknown>) : undefined;
  };
  switch (m.kind) {
    case 'field':
      setOrDelete(candle, m.key, m.value);
      break;
    case 'nudge':
      if (typeof candle[m.key] === 'number') candle[m.key] = (candle[m.key] as number) * m.factor;
      break;
    case 'bin': {
      const bin = binAt(m.index);
      if (bin) setOrDelete(bin, m.key, m.value);
      break;
    }
    case 'binNudge': {
      const bin = binAt(m.index);
      if (bin && typeof bin[m.key] === 'number') bin[m.key] = (bin[m.key] as number) * m.factor;
      break;
    }
    case 'extraKey':
      if (m.inBin) {
        const bin = binAt(m.index);
        if (bin) bin.note = 'x';
      } else candle.note = { nested: true };
      break;
    case 'swapBins':
      if (aggs.length > 1) {
        const a = m.a % aggs.length;
        const b = m.b % aggs.length;
        [aggs[a], aggs[b]] = [aggs[b], aggs[a]];
      }
      break;
    case 'duplicateBin':
      if (aggs.length > 0)
        aggs.splice(m.index % aggs.length, 0, structuredClone(aggs[m.index % aggs.length]));
      break;
    case 'hole':
      if (aggs.length > 0) delete aggs[m.index % aggs.length];
      break;
    case 'binNotObject':
      if (aggs.length > 0) aggs[m.index % aggs.length] = m.value === DELETE ? undefined : m.value;
      break;
    case 'scale': {
      const target = m.inBin ? binAt(m.index) : candle;
      if (!target) break;
      let k = 0;
      for (const field of Object.keys(target)) {
        const value = target[field];
        if (typeof value === 'number') target[field] = value * (m.factors[k++ % m.factors.length] ?? 1);
      }
      break;
    }
    case 'stripQuotes':
      for (const bin of aggs) {
        if (typeof bin !== 'object' || bin === null) continue;
        delete (bin as Record<string, unknown>).bq;
        delete (bin as Record<string, unknown>).sq;
        delete (bin as Record<string, unknown>).q;
      }
      break;
  }
}

const bases: FootprintCandleDTO[] = [
  validCandle(),
  emptyCandle(),
  ...generateFootprintCandles({
    seed: 7,
    count: 6,
    bins: { min: 1, max: 50 },
    symbol: 'LTCUSDT',
    tickValue: 0.01,
    startPrice: 80,
  }),
  ...generateFootprintCandles({ seed: 8, count: 3, bins: 20, withQuoteVolumes: false, timeframe: '5m' }),
];

function expectSameValidation(input: unknown): void {
  for (const strict of [false, true]) {
    const fast = validateFootprintCandle(input, { strict });
    const reference = referenceValidateFootprintCandle(input, { strict });
    expect(canonical(fast)).toBe(canonical(reference));
  }
  expect(canonical(checkCandleRules(input))).toBe(canonical(referenceCandleRules(input)));
}

describe('validation fast path = reference implementation', () => {
  it('valid candles (fixture, empty, generated with and without quote volumes) give identical results', () => {
    for (const base of bases) expectSameValidation(structuredClone(base));
  });

  it('not-a-candle inputs give identical results', () => {
    for (const input of [null, undefined, 42, 'candle', [], [validCandle()], {}, { aggs: [null] }]) {
      expectSameValidation(input);
    }
  });

  it('randomly broken candles (1 to 4 mutations) give identical verdicts, issues, messages and DTOs', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: bases.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (baseIndex, mutations) => {
          const candle = structuredClone(bases[baseIndex]) as unknown as Record<string, unknown>;
          for (const m of mutations) apply(candle, m);
          expectSameValidation(candle);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('the fast path really runs: a valid candle comes back without zod and keeps the schema key order', () => {
    const input = { ...validCandle(), extra: 1 } as Record<string, unknown>;
    delete input.e;
    const result = validateFootprintCandle(input);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(Object.keys(result.candle).join(',')).toBe(CANDLE_KEYS.join(','));
    expect(result.candle).not.toBe(input);
    expect(result.candle.aggs[0]).not.toBe((input.aggs as unknown[])[0]);
  });
});
