import {
  alignOpenTime,
  closeTimeOf,
  getTimeframe,
  InvalidCoreOptionsError,
  isAlignedOpenTime,
  isRollupOf,
  TIMEFRAME_NAMES,
  type TimeframeName,
} from '@flowtrace/core';
import { describe, expect, it } from 'vitest';

const DAY = Date.UTC(2025, 5, 21);

describe('timeframe helpers', () => {
  // Untyped callers (JavaScript, a name parsed from input and cast) can pass any of these.
  const unknownNames = ['bogus', '1M', '2m', '', 'constructor', 'toString', '__proto__', undefined, 60_000];
  const helpers: ReadonlyArray<[string, (name: TimeframeName) => unknown]> = [
    ['getTimeframe', (name) => getTimeframe(name)],
    ['alignOpenTime', (name) => alignOpenTime(DAY + 5, name)],
    ['closeTimeOf', (name) => closeTimeOf(DAY, name)],
    ['isAlignedOpenTime', (name) => isAlignedOpenTime(DAY, name)],
    ['isRollupOf (lower)', (name) => isRollupOf(name, '1d')],
    ['isRollupOf (higher)', (name) => isRollupOf('1s', name)],
  ];

  it.each(helpers)(
    '%s throws InvalidCoreOptionsError for an unknown timeframe instead of answering NaN, undefined or false',
    (_, helper) => {
      for (const name of unknownNames) {
        let thrown: unknown;
        try {
          helper(name as TimeframeName);
        } catch (error) {
          thrown = error;
        }
        expect(thrown, String(name)).toBeInstanceOf(InvalidCoreOptionsError);
        expect(thrown).toMatchObject({ code: 'FLOWTRACE_INVALID_OPTIONS' });
      }
      // Known names keep their answers.
      for (const name of TIMEFRAME_NAMES) expect(() => helper(name)).not.toThrow();
    },
  );

  it('names the value (with its type when it is no string) and the known timeframes', () => {
    const known = 'expected one of 1s, 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 8h, 12h, 1d';
    expect(() => alignOpenTime(DAY, 'bogus' as TimeframeName)).toThrow(`Unknown timeframe "bogus": ${known}`);
    expect(() => alignOpenTime(DAY, 60_000 as unknown as TimeframeName)).toThrow(
      `Unknown timeframe 60000 (a number): ${known}`,
    );
    expect(() => closeTimeOf(DAY, undefined as unknown as TimeframeName)).toThrow(
      `Unknown timeframe undefined: ${known}`,
    );
    // The known answers are unchanged.
    expect(alignOpenTime(DAY + 5 * 3_600_000 + 7, '1d')).toBe(DAY);
    expect(closeTimeOf(DAY, '1m')).toBe(DAY + 59_999);
    expect(getTimeframe('4h')).toEqual({ name: '4h', durationMs: 14_400_000, intervalSeconds: 14_400 });
    expect(isAlignedOpenTime(DAY + 1, '1s')).toBe(false);
    expect([isRollupOf('1m', '1h'), isRollupOf('3m', '5m'), isRollupOf('1h', '1m')]).toEqual([
      true,
      false,
      false,
    ]);
  });
});
