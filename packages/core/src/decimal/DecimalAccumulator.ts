import { type ExactDecimal, normalize } from './ExactDecimal';

const TEN = 10n;

/**
 * A mutable exact decimal sum. The scale grows to the largest scale added so
 * far, so nothing is ever rounded; `value()` normalises trailing zeros.
 */
export class DecimalAccumulator {
  private units = 0n;
  private scale = 0;

  add(value: ExactDecimal): this {
    if (value.scale > this.scale) {
      this.units *= TEN ** BigInt(value.scale - this.scale);
      this.scale = value.scale;
    }
    this.units +=
      value.scale === this.scale ? value.units : value.units * TEN ** BigInt(this.scale - value.scale);
    return this;
  }

  subtract(value: ExactDecimal): this {
    return this.add({ units: -value.units, scale: value.scale });
  }

  value(): ExactDecimal {
    return normalize({ units: this.units, scale: this.scale });
  }

  isZero(): boolean {
    return this.units === 0n;
  }
}
