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

const INITIAL_CAPACITY = 64;
/** Rough heap cost of one BlockLocation (object, two boxed doubles, array slot). */
const BYTES_PER_BLOCK = 140;

/**
 * In-memory index of one partition file, rebuilt from block headers and the
 * open-time column on open: for every open time, the location of its latest
 * version (later blocks supersede earlier ones).
 *
 * Kept as parallel typed arrays sorted by open time (16 bytes per key) rather
 * than a Map of objects (~150 bytes per key with its location object): the
 * store keeps data forever, so its RAM per stored candle must stay small.
 * A block no key points to any more is dropped from memory.
 *
 * `release()` gives a summary (size, first and last time) without the keys,
 * so a store can keep only its recently used indexes whole (ResidentIndexes).
 */
export class PartitionIndex {
  /** False for a summary made by `release()`: only size, firstTime and lastTime answer. */
  readonly resident: boolean = true;
  /** Blocks by ordinal (append order); undefined once every key moved to a later block. */
  private readonly blocks: (BlockLocation | undefined)[] = [];
  private liveKeys = new Int32Array(INITIAL_CAPACITY);
  private times = new Float64Array(INITIAL_CAPACITY);
  private blockOrdinals = new Int32Array(INITIAL_CAPACITY);
  private slots = new Int32Array(INITIAL_CAPACITY);
  private count = 0;
  private liveBlocks = 0;

  constructor(private readonly summary?: { readonly firstTime: number; readonly lastTime: number }) {
    // A summary (see release()) is not resident; an ordinary index starts empty and resident.
    if (summary !== undefined) this.resident = false;
  }

  addBlock(block: BlockLocation, openTimes: ArrayLike<number>): void {
    this.assertResident();
    const ordinal = this.blocks.length;
    this.blocks.push(block);
    this.liveBlocks += 1;
    if (ordinal >= this.liveKeys.length) this.liveKeys = grow(this.liveKeys, ordinal + 1);
    for (let slot = 0; slot < openTimes.length; slot += 1) this.put(openTimes[slot]!, ordinal, slot);
    if (this.liveKeys[ordinal] === 0) this.dropBlock(ordinal);
  }

  /** Number of distinct open times. */
  get size(): number {
    return this.count;
  }

  get firstTime(): number {
    return this.summary?.firstTime ?? this.times[0]!;
  }

  get lastTime(): number {
    return this.summary?.lastTime ?? this.times[this.count - 1]!;
  }

  /** Approximate memory held (typed arrays at capacity, block locations), for the residency budget. */
  get approximateBytes(): number {
    if (!this.resident) return 64;
    return (
      this.times.byteLength +
      this.blockOrdinals.byteLength +
      this.slots.byteLength +
      this.liveKeys.byteLength +
      this.blocks.length * 8 +
      this.liveBlocks * BYTES_PER_BLOCK
    );
  }

  /**
   * A summary of this index (size, first and last time) holding no keys or
   * blocks. This index itself is left intact: readers that hold it go on.
   */
  release(): PartitionIndex {
    const summary = new PartitionIndex(
      this.count > 0 ? { firstTime: this.firstTime, lastTime: this.lastTime } : undefined,
    );
    summary.count = this.count;
    summary.liveKeys = new Int32Array(0);
    summary.times = new Float64Array(0);
    summary.blockOrdinals = new Int32Array(0);
    summary.slots = new Int32Array(0);
    return summary;
  }

  /** Position of `time` in the sorted key list, or -1. */
  positionOf(time: number): number {
    this.assertResident();
    const position = this.lowerBound(time);
    return position < this.count && this.times[position] === time ? position : -1;
  }

  /** Positions [from, to) of the open times within [start, end]. */
  positionsBetween(start: number, end: number): [number, number] {
    this.assertResident();
    const from = this.lowerBound(start);
    let to = this.lowerBound(end);
    if (to < this.count && this.times[to]! <= end) to += 1;
    // An inverted range (start > end) is empty, not negative.
    return [from, Math.max(from, to)];
  }

  timeAt(position: number): number {
    return this.times[position]!;
  }

  /** The block holding the latest version of the key at `position`. */
  blockAt(position: number): BlockLocation {
    return this.blocks[this.blockOrdinals[position]!]!;
  }

  /** Index of that candle inside its block. */
  slotAt(position: number): number {
    return this.slots[position]!;
  }

  /** Releases spare capacity (after loading a file, when no appends are expected soon). */
  trim(): void {
    if (this.times.length === this.count) return;
    this.times = this.times.slice(0, this.count);
    this.blockOrdinals = this.blockOrdinals.slice(0, this.count);
    this.slots = this.slots.slice(0, this.count);
  }

  private put(time: number, ordinal: number, slot: number): void {
    const count = this.count;
    // Appends in time order (the usual case) skip the search.
    const position = count > 0 && time > this.times[count - 1]! ? count : this.lowerBound(time);
    if (position < count && this.times[position] === time) {
      const previous = this.blockOrdinals[position]!;
      this.liveKeys[previous]! -= 1;
      if (this.liveKeys[previous] === 0 && previous !== ordinal) this.dropBlock(previous);
    } else {
      if (count === this.times.length) this.reserve(count + 1);
      if (position < count) {
        this.times.copyWithin(position + 1, position, count);
        this.blockOrdinals.copyWithin(position + 1, position, count);
        this.slots.copyWithin(position + 1, position, count);
      }
      this.times[position] = time;
      this.count = count + 1;
    }
    this.blockOrdinals[position] = ordinal;
    this.slots[position] = slot;
    this.liveKeys[ordinal]! += 1;
  }

  private dropBlock(ordinal: number): void {
    if (this.blocks[ordinal] === undefined) return;
    this.blocks[ordinal] = undefined;
    this.liveBlocks -= 1;
  }

  private assertResident(): void {
    // A bug guard: callers must load the index (ResidentIndexes.indexOf) before using its keys.
    if (!this.resident) throw new Error('PartitionIndex: this is a released summary, not a resident index');
  }

  private reserve(needed: number): void {
    this.times = grow(this.times, needed);
    this.blockOrdinals = grow(this.blockOrdinals, needed);
    this.slots = grow(this.slots, needed);
  }

  private lowerBound(target: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.times[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function grow<T extends Float64Array | Int32Array>(array: T, needed: number): T {
  let capacity = Math.max(array.length * 2, INITIAL_CAPACITY);
  while (capacity < needed) capacity *= 2;
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array);
  return next;
}
