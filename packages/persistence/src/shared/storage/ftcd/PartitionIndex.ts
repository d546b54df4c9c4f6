/** Where one block lives in its file, from its header. */
export interface BlockLocation {
  readonly offset: number;
  /** Header + payload bytes. */
  readonly totalLength: number;
  readonly sequence: number;
  readonly candleCount: number;
  readonly firstOpenTime: number;
  readonly lastOpenTime: number;
  readonly codec: number;
}

/** The latest version of one key: candle `index` of `block`. */
export interface KeyLocation {
  readonly block: BlockLocation;
  readonly index: number;
}

/**
 * In-memory index of one partition file, rebuilt from block headers and the
 * open-time column on open: every block, and for every open time the location
 * of its latest version (later blocks supersede earlier ones).
 */
export class PartitionIndex {
  readonly blocks: BlockLocation[] = [];
  readonly keys = new Map<number, KeyLocation>();
  private sorted: number[] | undefined;

  addBlock(block: BlockLocation, openTimes: ArrayLike<number>): void {
    this.blocks.push(block);
    for (let index = 0; index < openTimes.length; index += 1) {
      const time = openTimes[index]!;
      if (!this.keys.has(time)) this.sorted = undefined;
      this.keys.set(time, { block, index });
    }
  }

  get size(): number {
    return this.keys.size;
  }

  /** Open times ascending. */
  sortedTimes(): readonly number[] {
    if (!this.sorted) this.sorted = [...this.keys.keys()].sort((a, b) => a - b);
    return this.sorted;
  }

  /** Open times within [start, end], ascending. */
  timesBetween(start: number, end: number): number[] {
    const times = this.sortedTimes();
    let low = lowerBound(times, start);
    const result: number[] = [];
    for (; low < times.length && times[low]! <= end; low += 1) result.push(times[low]!);
    return result;
  }
}

function lowerBound(values: readonly number[], target: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return low;
}
