import {
  DecimalAccumulator,
  decimalFromNumber,
  decimalFromString,
  decimalToNumber,
  decimalToString,
  unitsToNumber,
} from '@flowtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('exact decimals', () => {
  it.each([
    [0.1, 1n, 1],
    [0.107, 107n, 3],
    [1e-7, 1n, 7],
    [123_456.789, 123_456_789n, 3],
    [-0.5, -5n, 1],
    [1e21, 10n ** 21n, 0],
    [2.5e-10, 25n, 11],
    [0, 0n, 0],
  ])('reads %d as the decimal it prints as', (value, units, scale) => {
    expect(decimalFromNumber(value)).toEqual({ units, scale });
  });

  it('parses decimal strings, including exponents and trailing zeros', () => {
    expect(decimalFromString('1.2300')).toEqual({ units: 123n, scale: 2 });
    expect(decimalFromString('3.2E+4')).toEqual({ units: 32_000n, scale: 0 });
    expect(decimalFromString('.5')).toEqual({ units: 5n, scale: 1 });
    expect(() => decimalFromString('abc')).toThrow(SyntaxError);
    expect(() => decimalFromString('.')).toThrow(SyntaxError);
    expect(() => decimalFromNumber(Number.NaN)).toThrow(RangeError);
  });

  it('sums without drift where doubles drift', () => {
    let naive = 0;
    const exact = new DecimalAccumulator();
    for (let index = 0; index < 10; index += 1) {
      naive += 0.1;
      exact.add(decimalFromNumber(0.1));
    }
    expect(naive).not.toBe(1);
    expect(decimalToNumber(exact.value())).toBe(1);
  });

  it('converts large exact values to the correctly rounded double', () => {
    const units = 123_456_789_012_345_678_901_234_567n;
    expect(unitsToNumber(units, 9)).toBe(Number.parseFloat('123456789012345678.901234567'));
    expect(unitsToNumber(-units, 30)).toBe(-Number.parseFloat('0.000123456789012345678901234567'));
    expect(decimalToString({ units: -1234n, scale: 6 })).toBe('-0.001234');
  });

  it('property: any decimal with up to 15 significant digits round-trips through a double exactly', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n) + 1n, max: 10n ** 15n - 1n }),
        fc.integer({ min: 0, max: 12 }),
        (units, scale) => {
          const asNumber = unitsToNumber(units, scale);
          const back = decimalFromNumber(asNumber);
          const text = decimalToString({ units, scale });
          expect(decimalToString(back)).toBe(text);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('property: exact sums equal the integer sum of the units, in any order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 200 }),
        (units) => {
          const forward = new DecimalAccumulator();
          const backward = new DecimalAccumulator();
          for (const unit of units) forward.add(decimalFromNumber(unit / 1000));
          for (const unit of [...units].reverse()) backward.add(decimalFromNumber(unit / 1000));
          const total = units.reduce((sum, unit) => sum + BigInt(unit), 0n);
          expect(decimalToString(forward.value())).toBe(decimalToString({ units: total, scale: 3 }));
          expect(forward.value()).toEqual(backward.value());
        },
      ),
    );
  });
});
