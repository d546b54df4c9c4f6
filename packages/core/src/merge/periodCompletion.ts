import type { FootprintCandleDTO } from '../candle/FootprintCandleDTO';
import { closeTimeOf, isTimeframeName, type TimeframeName } from '../timeframe/timeframes';

/**
 * Whether merged parts prove that their `target` period opening at `openTime`
 * is over. Complete parts are not enough on their own: a closed 10:01 minute
 * says nothing about 10:59, and minutes without trades have no candle, so the
 * hour may still be trading. The end is proven when a complete part ends
 * exactly where the period ends (its last minute, or a complete partial merge
 * of the period itself), or when the caller saw a later candle of the series
 * (`laterCandleSeen`: a builder closes a period on the first trade after it).
 * Every lower-timeframe part must also be complete. A partial merge of the
 * target timeframe may be `x: false` only for want of that proof, with final
 * content, so it does not veto: this keeps merging associative.
 */
export function partsProveComplete(
  parts: readonly FootprintCandleDTO[],
  target: TimeframeName,
  openTime: number,
  laterCandleSeen: boolean,
): boolean {
  const periodEnd = closeTimeOf(openTime, target);
  const endsThePeriod = (part: FootprintCandleDTO): boolean =>
    // From the part's timeframe, not its `ct`, which validation tolerates being off (a warning).
    isTimeframeName(part.i) && closeTimeOf(part.t, part.i) === periodEnd;
  const lowerPartsComplete = parts.every((part) => part.x || part.i === target);
  const endProven = laterCandleSeen || parts.some((part) => part.x && endsThePeriod(part));
  return lowerPartsComplete && endProven;
}
