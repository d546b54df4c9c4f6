import {
  binPriceOf,
  InvalidTickValueError,
  isOnTick,
  tickIndexOf,
  tickPriceOf,
  tickSizeOf,
} from '@flowtrace/core';
import { describe, expect, it } from 'vitest';

describe('tickSizeOf', () => {
  it.each([
    [0.01, 1, 100, 2],
    [0.1, 1, 10, 1],
    [0.5, 5, 10, 1],
    [0.25, 25, 100, 2],
    [1, 1, 1, 0],
    [25, 25, 1, 0],
    [0.0005, 5, 10_000, 4],
    [0.00001, 1, 100_000, 5],
    [1e-8, 1, 100_000_000, 8],
  ])('represents %d as %d / %d', (value, numerator, scale, decimals) => {
    expect(tickSizeOf(value)).toEqual({ value, numerator, scale, decimals });
  });

  it.each([0, -0.01, Number.NaN, Number.POSITIVE_INFINITY, 1e-13, Math.PI])('rejects %d', (value) => {
    expect(() => tickSizeOf(value)).toThrow(InvalidTickValueError);
  });
});

describe('tickIndexOf / tickPriceOf', () => {
  it('puts a price that sits on a tick into its own bin, unlike Math.floor(price / tv)', () => {
    const tick = tickSizeOf(0.01);
    expect(Math.floor(80.21 / 0.01)).toBe(8020); // the original platform's off-by-one
    expect(tickIndexOf(80.21, tick)).toBe(8021);
    expect(tickPriceOf(8021, tick)).toBe(80.21);
    expect(tickIndexOf(83.29, tick)).toBe(8329);
    const onTickPrices = Array.from({ length: 400 }, (_, offset) => (8000 + offset) / 100);
    expect(onTickPrices.filter((price) => Math.floor(price / 0.01) !== Math.round(price * 100)).length).toBe(
      54,
    );
    expect(onTickPrices.filter((price) => tickIndexOf(price, tick) !== Math.round(price * 100))).toEqual([]);
  });

  it.each([
    [0.01, 0, 200_000],
    [0.1, 600_000, 700_000],
    [0.00001, 0, 100_000],
  ])('is exact for every on-tick price with tick %d (indexes %d..%d)', (tickValue, from, to) => {
    const tick = tickSizeOf(tickValue);
    let wrong = 0;
    for (let index = from; index < to; index += 1) {
      // The decimal string is what a producer would print; Number() gives the closest double to it.
      const price = Number(
        `${Math.floor(index / tick.scale)}.${String(index % tick.scale).padStart(tick.decimals, '0')}`,
      );
      if (tickIndexOf(price, tick) !== index || tickPriceOf(index, tick) !== price) wrong += 1;
    }
    expect(wrong).toBe(0);
  });

  it('handles ticks that are not a power of ten', () => {
    const half = tickSizeOf(0.5);
    expect(tickIndexOf(65_000.3, half)).toBe(130_000);
    expect(tickIndexOf(65_000.5, half)).toBe(130_001);
    expect(binPriceOf(65_000.9, half)).toBe(65_000.5);
    const quarter = tickSizeOf(0.25);
    expect(binPriceOf(10.74, quarter)).toBe(10.5);
    expect(binPriceOf(10.75, quarter)).toBe(10.75);
  });

  it('floors prices with more decimals than the tick into the bin below them', () => {
    const tick = tickSizeOf(0.01);
    expect(tickIndexOf(83.295, tick)).toBe(8329);
    expect(tickIndexOf(83.2999999, tick)).toBe(8329);
    expect(tickIndexOf(83.3000001, tick)).toBe(8330);
    expect(tickIndexOf(0.001, tick)).toBe(0);
  });

  it('isOnTick accepts float noise and rejects real off-tick prices', () => {
    const tick = tickSizeOf(0.01);
    expect(isOnTick(8328 * 0.01, tick)).toBe(true); // 83.28000000000001
    expect(isOnTick(83.29, tick)).toBe(true);
    expect(isOnTick(83.295, tick)).toBe(false);
    expect(isOnTick(65_000.5, tickSizeOf(0.5))).toBe(true);
    expect(isOnTick(65_000.4, tickSizeOf(0.5))).toBe(false);
  });
});
