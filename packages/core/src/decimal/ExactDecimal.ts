/**
 * Exact decimal arithmetic for volumes.
 *
 * Volumes are sums of many decimal quantities (`0.107 + 1.39 + …`). Summing
 * them as doubles drifts (`0.1 + 0.2 !== 0.3`), and the drift depends on the
 * order of the additions, so a 5m candle rolled up from 1m candles would not
 * equal the 5m candle built directly. Instead every quantity is read as the
 * decimal its shortest round-trip string shows (`String(0.107) === "0.107"`),
 * held as an integer number of `10^-scale` units, summed exactly, and turned
 * into a double once, correctly rounded, when a DTO is written.
 */
export interface ExactDecimal {
  /** The value is `units / 10^scale`. */
  readonly units: bigint;
  /** Number of decimal places, >= 0. */
  readonly scale: number;
}

export const DECIMAL_ZERO: ExactDecimal = Object.freeze({ units: 0n, scale: 0 });

const POWERS_OF_TEN: bigint[] = [];
function pow10(exponent: number): bigint {
  let cached = POWERS_OF_TEN[exponent];
  if (cached === undefined) {
    cached = 10n ** BigInt(exponent);
    POWERS_OF_TEN[exponent] = cached;
  }
  return cached;
}

export class NotFiniteDecimalError extends RangeError {
  readonly code = 'FLOWTRACE_NOT_FINITE_NUMBER';
}

/**
 * The exact decimal that `value`'s shortest round-trip representation shows
 * (`0.1` → 1/10, `1e-7` → 1/10^7). Every double has such a representation, so
 * this is exact for any input a producer could have typed or printed.
 */
export function decimalFromNumber(value: number): ExactDecimal {
  if (!Number.isFinite(value)) throw new NotFiniteDecimalError(`Cannot represent ${value} as a decimal`);
  if (Number.isSafeInteger(value)) return { units: BigInt(value), scale: 0 };
  return decimalFromString(String(value));
}

/** Parses a plain or exponent decimal string (`"-12.5"`, `"1e-7"`, `"3.2E+4"`). */
export function decimalFromString(text: string): ExactDecimal {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] === undefined || match[3] === ''))) {
    throw new SyntaxError(`Not a decimal number: "${text}"`);
  }
  const [, sign = '', intPart = '', fracPart = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  let digits = `${intPart}${fracPart}`.replace(/^0+(?=\d)/, '');
  let scale = fracPart.length - exponent;
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  const units = BigInt(digits === '' ? '0' : digits);
  return normalize({ units: sign === '-' ? -units : units, scale });
}

/** Removes trailing zero decimals so equal values have equal representations. */
export function normalize(value: ExactDecimal): ExactDecimal {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return units === value.units && scale === value.scale ? value : { units, scale };
}

export function rescale(value: ExactDecimal, scale: number): bigint {
  if (scale < value.scale) throw new RangeError('rescale would lose precision');
  return value.units * pow10(scale - value.scale);
}

export function addDecimals(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function subtractDecimals(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) - rescale(b, scale), scale };
}

export function multiplyDecimals(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

export function compareDecimals(a: ExactDecimal, b: ExactDecimal): number {
  const scale = Math.max(a.scale, b.scale);
  const left = rescale(a, scale);
  const right = rescale(b, scale);
  return left < right ? -1 : left > right ? 1 : 0;
}

export function maxDecimal(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  return compareDecimals(a, b) >= 0 ? a : b;
}

export function minDecimal(a: ExactDecimal, b: ExactDecimal): ExactDecimal {
  return compareDecimals(a, b) <= 0 ? a : b;
}

const MAX_EXACT_POWER_OF_TEN = 22;
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/** The double nearest to the exact value (correctly rounded, ties to even). */
export function decimalToNumber(value: ExactDecimal): number {
  return unitsToNumber(value.units, value.scale);
}

/**
 * `units / 10^scale` as the nearest double. When both operands are exactly
 * representable one IEEE division rounds correctly; otherwise the decimal
 * string is handed to the (correctly rounding) number parser.
 */
export function unitsToNumber(units: bigint | number, scale: number): number {
  if (typeof units === 'number' && Number.isSafeInteger(units) && scale <= MAX_EXACT_POWER_OF_TEN) {
    return scale === 0 ? units : units / 10 ** scale;
  }
  const big = typeof units === 'bigint' ? units : BigInt(units);
  if (scale <= MAX_EXACT_POWER_OF_TEN && big <= MAX_SAFE_BIGINT && -big <= MAX_SAFE_BIGINT) {
    return scale === 0 ? Number(big) : Number(big) / 10 ** scale;
  }
  const negative = big < 0n;
  const digits = (negative ? -big : big).toString();
  const text =
    scale === 0
      ? digits
      : digits.length > scale
        ? `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`
        : `0.${'0'.repeat(scale - digits.length)}${digits}`;
  const result = Number.parseFloat(text);
  return negative ? -result : result;
}

/** Plain decimal string of the exact value, e.g. `"1234.5678"`. */
export function decimalToString(value: ExactDecimal): string {
  const { units, scale } = normalize(value);
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString();
  if (scale === 0) return `${negative ? '-' : ''}${digits}`;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, padded.length - scale)}.${padded.slice(padded.length - scale)}`;
}
