/**
 * An exact integer accumulator that stays a plain number while the sum is a
 * safe integer (the common case, and much faster) and switches to BigInt
 * only when it would not be.
 */
export class IntegerSum {
  private small = 0;
  private big: bigint | undefined;

  add(units: number | bigint): this {
    if (this.big === undefined && typeof units === 'number') {
      const next = this.small + units;
      if (Number.isSafeInteger(next) && Number.isSafeInteger(units)) {
        this.small = next;
        return this;
      }
    }
    this.big = this.value() + (typeof units === 'bigint' ? units : BigInt(units));
    return this;
  }

  value(): bigint {
    return this.big ?? BigInt(this.small);
  }

  /** The exact sum: a number when safe, else a bigint. */
  units(): number | bigint {
    return this.big ?? this.small;
  }
}

/** `a * b` exactly: a number when the product is a safe integer, else a bigint. */
export function multiplyUnits(a: number, b: number): number | bigint {
  const product = a * b;
  return Number.isSafeInteger(product) ? product : BigInt(a) * BigInt(b);
}

/** `a + b` exactly: a number when the sum is a safe integer, else a bigint. */
export function addUnits(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b;
    if (Number.isSafeInteger(sum)) return sum;
  }
  return BigInt(a) + BigInt(b);
}
