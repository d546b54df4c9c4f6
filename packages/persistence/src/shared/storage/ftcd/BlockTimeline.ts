/**
 * Blocks seen in file order: their candle count and span, and whether each is
 * consistent (one candle: first = last open time; more: first < last) and
 * starts after the previous one ends in time. Then no key is in two blocks and
 * the file holds exactly `candles` candles from `firstOpenTime` to `lastOpenTime`.
 */
export class BlockTimeline {
  blocks = 0;
  candles = 0;
  firstOpenTime = Number.NaN;
  lastOpenTime = Number.NEGATIVE_INFINITY;
  lastSequence = -1;
  inOrder = true;

  add(candleCount: number, firstOpenTime: number, lastOpenTime: number, sequence: number): void {
    const spanAgrees =
      candleCount === 1 ? firstOpenTime === lastOpenTime : candleCount > 1 && lastOpenTime > firstOpenTime;
    if (!spanAgrees || !(firstOpenTime > this.lastOpenTime)) this.inOrder = false;
    if (this.blocks === 0) this.firstOpenTime = firstOpenTime;
    this.lastOpenTime = lastOpenTime;
    this.lastSequence = sequence;
    this.candles += candleCount;
    this.blocks += 1;
  }
}
