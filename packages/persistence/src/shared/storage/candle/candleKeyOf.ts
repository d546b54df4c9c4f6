import { type CandleKey, explainUnsafeName, type FootprintCandleDTO, isTimeframeName } from '@flowtrace/core';
import { InvalidCandleKeyError } from '../errors/StorageErrors';

/** Latest open time a store accepts: 9999-12-31T23:59:59.999Z (partition names stay 4-digit years). */
export const MAX_OPEN_TIME = 253_402_300_799_999;

/**
 * The storage key of a candle, checked: safe exchange and symbol names (they
 * become path segments), a known timeframe, an integer open time in
 * [0, MAX_OPEN_TIME]. Everything else in the candle is stored as given.
 */
export function candleKeyOf(candle: FootprintCandleDTO): CandleKey {
  if (typeof candle !== 'object' || candle === null) {
    throw new InvalidCandleKeyError('A candle must be an object');
  }
  const exchangeProblem = explainUnsafeName(candle.ex);
  if (exchangeProblem) throw new InvalidCandleKeyError(`Candle exchange (ex) ${exchangeProblem}`);
  const symbolProblem = explainUnsafeName(candle.s);
  if (symbolProblem) throw new InvalidCandleKeyError(`Candle symbol (s) ${symbolProblem}`);
  if (!isTimeframeName(candle.i)) {
    throw new InvalidCandleKeyError(`Candle timeframe (i) "${String(candle.i)}" is not a known timeframe`);
  }
  if (!Number.isSafeInteger(candle.t) || candle.t < 0 || candle.t > MAX_OPEN_TIME) {
    throw new InvalidCandleKeyError(
      `Candle open time (t) ${String(candle.t)} must be an integer in [0, ${MAX_OPEN_TIME}]`,
    );
  }
  if (!Array.isArray(candle.aggs)) throw new InvalidCandleKeyError('Candle aggs must be an array');
  return { exchange: candle.ex, symbol: candle.s, timeframe: candle.i, openTime: candle.t };
}
