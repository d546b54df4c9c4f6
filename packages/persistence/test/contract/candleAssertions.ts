import type { FootprintCandleDTO } from '@flowtrace/core';
import { expect } from 'vitest';
import { candlesEqual } from '../../src/shared/storage/candle/candlesEqual';

/** Exact comparison: same length, same order, `Object.is` on every number, no extra or missing keys. */
export function expectSameCandles(
  actual: readonly FootprintCandleDTO[],
  expected: readonly FootprintCandleDTO[],
  message?: string,
): void {
  const same =
    actual.length === expected.length &&
    actual.every((candle, index) => {
      const other = expected[index];
      return other !== undefined && candlesEqual(candle, other) && sameKeys(candle, other);
    });
  if (!same) {
    // toEqual gives a readable diff; the assertion below fails either way.
    expect(describe(actual), message).toEqual(describe(expected));
    expect.fail(
      `${message ? `${message}: ` : ''}candles differ (Object.is or key set) although toEqual saw no difference`,
    );
  }
}

function sameKeys(a: FootprintCandleDTO, b: FootprintCandleDTO): boolean {
  if (Object.keys(a).sort().join() !== Object.keys(b).sort().join()) return false;
  return a.aggs.every(
    (bin, index) =>
      Object.keys(bin).sort().join() ===
      Object.keys(b.aggs[index] ?? {})
        .sort()
        .join(),
  );
}

/** JSON-ish rendering that keeps -0 visible. */
function describe(candles: readonly FootprintCandleDTO[]): unknown {
  return JSON.parse(
    JSON.stringify(candles, (_key, value: unknown) => (Object.is(value, -0) ? '-0' : value)),
  ) as unknown;
}
