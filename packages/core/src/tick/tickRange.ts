import type { TickSize } from './TickSize';

/**
 * Why `price` cannot be binned exactly with `tick`, or undefined when it can.
 * Binning works on `price × 10^decimals` as a double; beyond 2^53 those units
 * are no longer all representable, so neighbouring ticks would share a bin
 * (or a bin price would be off) without any error. Real markets are far below
 * (LTCUSDT at 80 with tick 0.01 is 8,000 units; BTC at 100,000 with tick 1e-8
 * is 1e13), so such a price means a wrong tick value or a corrupt price.
 */
export function explainPriceOutOfTickRange(price: number, tick: TickSize): string | undefined {
  const units = price * tick.scale;
  if (Math.abs(units) < Number.MAX_SAFE_INTEGER) return undefined;
  return `price ${price} is ${units} units of ${1 / tick.scale}, beyond 2^53: bins of tick ${tick.value} cannot be told apart there`;
}
