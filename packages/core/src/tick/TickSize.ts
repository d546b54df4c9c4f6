import { FlowTraceCoreError } from '../errors/FlowTraceCoreError';

/**
 * A tick value held as an exact fraction `numerator / scale`, where `scale`
 * is a power of ten: 0.01 → 1/100, 0.5 → 5/10, 25 → 25/1, 0.00001 → 1/100000.
 *
 * Binning prices with integers avoids the classic `Math.floor(price / tv)`
 * error: `80.21 / 0.01 === 8020.999999999999`, which puts a price that sits
 * exactly on a tick into the bin below.
 */
export interface TickSize {
  /** The tick value as given (quote currency). */
  readonly value: number;
  /** Tick value in units of `1 / scale`; a positive safe integer. */
  readonly numerator: number;
  /** `10 ^ decimals`. */
  readonly scale: number;
  /** Number of decimal places of the tick value. */
  readonly decimals: number;
}

export class InvalidTickValueError extends FlowTraceCoreError {
  readonly code = 'FLOWTRACE_INVALID_TICK_VALUE';
}

/** Tick values need at most this many decimals (1e-12 is far below any real market's tick). */
export const MAX_TICK_DECIMALS = 12;

/** Relative slack when recognising a double as an exact decimal: about 45 ulps, far above the error of one multiplication. */
const DECIMAL_RECOGNITION_EPSILON = 1e-14;

/** Number of decimals of `value` as a short decimal, or undefined when it has more than `maxDecimals`. */
export function decimalPlacesOf(value: number, maxDecimals: number): number | undefined {
  for (let decimals = 0; decimals <= maxDecimals; decimals += 1) {
    const scaled = value * 10 ** decimals;
    if (
      Math.abs(scaled - Math.round(scaled)) <=
      DECIMAL_RECOGNITION_EPSILON * Math.max(1, Math.abs(scaled))
    ) {
      return decimals;
    }
  }
  return undefined;
}

export function tickSizeOf(tickValue: number): TickSize {
  if (!Number.isFinite(tickValue) || tickValue <= 0) {
    throw new InvalidTickValueError(`Tick value must be a finite number > 0, got ${tickValue}`);
  }
  const decimals = decimalPlacesOf(tickValue, MAX_TICK_DECIMALS);
  if (decimals === undefined) {
    throw new InvalidTickValueError(
      `Tick value ${tickValue} has more than ${MAX_TICK_DECIMALS} decimals; FlowTrace needs a decimal tick`,
    );
  }
  const scale = 10 ** decimals;
  const numerator = Math.round(tickValue * scale);
  if (!Number.isSafeInteger(numerator) || numerator <= 0) {
    throw new InvalidTickValueError(`Tick value ${tickValue} is out of range`);
  }
  return Object.freeze({ value: tickValue, numerator, scale, decimals });
}

/**
 * Index of the bin containing `price`: the largest `k` with `k * tv <= price`,
 * computed on the price expressed in `1/scale` units. A price that is a tick
 * price up to floating-point noise (80.21 → 8020.999999999999 units) is first
 * snapped to its integer; a price with more decimals than the tick (83.295 with
 * tv 0.01) is floored, so it lands in the bin whose lower bound is below it.
 */
export function tickIndexOf(price: number, tick: TickSize): number {
  const scaled = price * tick.scale;
  const nearest = Math.round(scaled);
  const units =
    Math.abs(scaled - nearest) <= DECIMAL_RECOGNITION_EPSILON * Math.max(1, Math.abs(scaled))
      ? nearest
      : Math.floor(scaled);
  return Math.floor(units / tick.numerator);
}

/** Lower bound price of bin `index`; division last, so the result is the double nearest the decimal. */
export function tickPriceOf(index: number, tick: TickSize): number {
  return (index * tick.numerator) / tick.scale;
}

/** The tick price (bin lower bound) of the bin containing `price`. */
export function binPriceOf(price: number, tick: TickSize): number {
  return tickPriceOf(tickIndexOf(price, tick), tick);
}

/** True when `price` is, up to floating-point noise, an integer multiple of the tick. */
export function isOnTick(price: number, tick: TickSize): boolean {
  const units = price * tick.scale;
  const nearestUnits = Math.round(units);
  if (Math.abs(units - nearestUnits) > DECIMAL_RECOGNITION_EPSILON * Math.max(1, Math.abs(units)))
    return false;
  return nearestUnits % tick.numerator === 0;
}
