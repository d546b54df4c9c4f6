/**
 * The trade ids applied to one candle, as sorted disjoint runs of consecutive
 * ids. Exchange trade ids of one symbol mostly arrive in order and without
 * holes (Binance aggTrade ids), so a candle's ids usually take one run, or one
 * per gap in the ids: memory does not grow with the number of trades.
 */
export class TradeIdSet {
  /** `starts[k]..ends[k]` (inclusive) is the k-th run; runs ascend, never touch. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];

  has(id: number): boolean {
    const run = this.runAtOrBefore(id);
    return run >= 0 && id <= (this.ends[run] as number);
  }

  /** Adds `id`; the caller has checked with `has` that it is new. */
  add(id: number): void {
    const { starts, ends } = this;
    const last = ends.length - 1;
    if (last < 0 || id > (ends[last] as number)) {
      // The common case: ids in ascending order.
      if (last >= 0 && id === (ends[last] as number) + 1) ends[last] = id;
      else {
        starts.push(id);
        ends.push(id);
      }
      return;
    }
    const before = this.runAtOrBefore(id);
    const after = before + 1;
    const joinsBefore = before >= 0 && ends[before] === id - 1;
    const joinsAfter = after < starts.length && starts[after] === id + 1;
    if (joinsBefore && joinsAfter) {
      ends[before] = ends[after] as number;
      starts.splice(after, 1);
      ends.splice(after, 1);
    } else if (joinsBefore) ends[before] = id;
    else if (joinsAfter) starts[after] = id;
    else {
      starts.splice(after, 0, id);
      ends.splice(after, 0, id);
    }
  }

  /** Index of the last run starting at or before `id`, or -1. */
  private runAtOrBefore(id: number): number {
    const { starts } = this;
    let low = 0;
    let high = starts.length - 1;
    if (high >= 0 && (starts[high] as number) <= id) return high;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if ((starts[middle] as number) <= id) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }
}
