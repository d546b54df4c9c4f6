/**
 * Relative tolerance for comparing volumes, deltas and prices that producers
 * compute in floating point. 1e-9 is a million times coarser than double
 * rounding (~1e-16 per operation) so honest float accumulation over even
 * millions of trades passes, and a billion times finer than any real mistake
 * (a lost trade, a wrong sign).
 */
export const RELATIVE_TOLERANCE = 1e-9;

/** `|a - b| <= 1e-9 * max(1, |a|, |b|)`: relative for large values, absolute 1e-9 below 1. */
export function approximatelyEqual(a: number, b: number, tolerance = RELATIVE_TOLERANCE): boolean {
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b));
}

/** `a <= b` with the same tolerance. */
export function approximatelyAtMost(a: number, b: number, tolerance = RELATIVE_TOLERANCE): boolean {
  return a <= b || approximatelyEqual(a, b, tolerance);
}
