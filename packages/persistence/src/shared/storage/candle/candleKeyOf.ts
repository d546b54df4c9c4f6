import { type CandleKey, explainUnsafeName, type FootprintCandleDTO, isTimeframeName } from '@flowtrace/core';
import { CandleNotStorableError, InvalidCandleKeyError } from '../errors/StorageErrors';
import { shown as quoted } from './queryOptions';

/** Latest open time a store accepts: 9999-12-31T23:59:59.999Z (partition names stay 4-digit years). */
export const MAX_OPEN_TIME = 253_402_300_799_999;

/**
 * The storage key of a candle, checked: safe exchange and symbol names (they
 * become path segments), a known timeframe, an integer open time in
 * [0, MAX_OPEN_TIME]. Field types, `aggs` included, are checkStorableCandle's.
 */
export function candleKeyOf(candle: FootprintCandleDTO): CandleKey {
  if (typeof candle !== 'object' || candle === null) {
    throw new InvalidCandleKeyError('A candle must be an object');
  }
  const exchangeProblem = explainUnsafeName(candle.ex);
  if (exchangeProblem) {
    throw new InvalidCandleKeyError(`Candle exchange (ex) ${shown(candle.ex, 'string')} ${exchangeProblem}`);
  }
  const symbolProblem = explainUnsafeName(candle.s);
  if (symbolProblem) {
    throw new InvalidCandleKeyError(`Candle symbol (s) ${shown(candle.s, 'string')} ${symbolProblem}`);
  }
  if (!isTimeframeName(candle.i)) {
    throw new InvalidCandleKeyError(
      `Candle timeframe (i) ${shown(candle.i, 'string')} is not a known timeframe`,
    );
  }
  if (!Number.isSafeInteger(candle.t) || candle.t < 0 || candle.t > MAX_OPEN_TIME) {
    throw new InvalidCandleKeyError(
      `Candle open time (t) ${shown(candle.t, 'number')} must be an integer in [0, ${MAX_OPEN_TIME}]`,
    );
  }
  return { exchange: candle.ex, symbol: candle.s, timeframe: candle.i, openTime: candle.t };
}

/**
 * A key field's value as a message shows it, with its type when it is not the
 * `expected` one: the string "1748736000000" printed bare reads as the number
 * it is not (and the number 5 quoted as the string "5").
 */
function shown(value: unknown, expected: 'string' | 'number'): string {
  let text: string;
  if (typeof value === 'string') {
    text = quoted(value);
  } else if (value === null || value === undefined) {
    return String(value);
  } else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    text = String(value);
  } else {
    return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  }
  return typeof value === expected ? text : `${text} (a ${typeof value})`;
}

const NUMBER_FIELDS = [
  'vi',
  'o',
  'h',
  'l',
  'c',
  'ct',
  'v',
  'bv',
  'sv',
  'q',
  'bq',
  'sq',
  'n',
  'd',
  'dMax',
  'dMin',
  'tv',
  'f',
  'ls',
] as const;
const STRING_FIELDS = ['e', 'tz', 'a'] as const;

/**
 * Checks only what storage needs to hold a candle faithfully: field types.
 * Business rules (high >= low, sums…) belong to the validator upstream.
 */
export function checkStorableCandle(candle: FootprintCandleDTO): void {
  const c = candle;
  const numbersOk =
    typeof c.vi === 'number' &&
    typeof c.o === 'number' &&
    typeof c.h === 'number' &&
    typeof c.l === 'number' &&
    typeof c.c === 'number' &&
    typeof c.ct === 'number' &&
    typeof c.v === 'number' &&
    typeof c.bv === 'number' &&
    typeof c.sv === 'number' &&
    typeof c.q === 'number' &&
    typeof c.bq === 'number' &&
    typeof c.sq === 'number' &&
    typeof c.n === 'number' &&
    typeof c.d === 'number' &&
    typeof c.dMax === 'number' &&
    typeof c.dMin === 'number' &&
    typeof c.tv === 'number' &&
    typeof c.f === 'number' &&
    typeof c.ls === 'number';
  if (!numbersOk) {
    const field = NUMBER_FIELDS.find((name) => typeof c[name] !== 'number');
    throw new CandleNotStorableError(`Candle field ${field} must be a number`);
  }
  for (const field of STRING_FIELDS) {
    if (typeof candle[field] !== 'string')
      throw new CandleNotStorableError(`Candle field ${field} must be a string`);
  }
  if (typeof candle.x !== 'boolean') throw new CandleNotStorableError('Candle field x must be a boolean');
  const aggs = candle.aggs;
  // A field type like the others (it was FLOWTRACE_INVALID_CANDLE_KEY, the code of ex/s/i/t).
  if (!Array.isArray(aggs)) throw new CandleNotStorableError('Candle aggs must be an array');
  for (let index = 0; index < aggs.length; index += 1) {
    const bin = aggs[index];
    if (typeof bin !== 'object' || bin === null)
      throw new CandleNotStorableError(`aggs[${index}] must be an object`);
    if (
      typeof bin.tp !== 'number' ||
      typeof bin.bv !== 'number' ||
      typeof bin.sv !== 'number' ||
      typeof bin.v !== 'number'
    ) {
      throw new CandleNotStorableError(`aggs[${index}] tp, bv, sv and v must be numbers`);
    }
    if (
      (bin.bq !== undefined && typeof bin.bq !== 'number') ||
      (bin.sq !== undefined && typeof bin.sq !== 'number') ||
      (bin.q !== undefined && typeof bin.q !== 'number')
    ) {
      throw new CandleNotStorableError(`aggs[${index}] bq, sq and q must be numbers when present`);
    }
  }
}

/** `candleKeyOf` plus `checkStorableCandle`: what every adapter runs on each candle it is given. */
export function storableCandleKey(candle: FootprintCandleDTO): CandleKey {
  const key = candleKeyOf(candle);
  checkStorableCandle(candle);
  return key;
}
