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
// Columns start empty and shared (nothing is ever written to a zero-length array): a store
// registers every partition file on open, and most are never loaded by the process.
const EMPTY_FLOAT64 = new Float64Array(0);
const EMPTY_UINT32 = new Uint32Array(0);
const EMPTY_UINT8 = new Uint8Array(0);
const EMPTY_INT32 = new Int32Array(0);
const MIN_DEAD_BLOCKS_TO_COMPACT = 64;
/** Bytes per block in the block columns (offset, first and last time, length, sequence, count, codec, live keys). */
const BYTES_PER_BLOCK = 8 + 8 + 8 + 4 + 4 + 4 + 1 + 4;
/** Rough heap cost of a BlockLocation object handed out by `blockAt` (kept until its block dies). */
const BYTES_PER_HANDED_OUT_BLOCK = 140;

/**
 * In-memory index of one partition file, rebuilt from block headers and the
 * open-time column on open: for every open time, the location of its latest
 * version (later blocks supersede earlier ones).
 *
 * Kept as parallel typed arrays sorted by open time (16 bytes per key) rather
 * than a Map of objects (~150 bytes per key with its location object): the
 * store keeps data forever, so its RAM per stored candle must stay small.
 * Blocks are kept as columns too (~41 bytes each instead of a ~140-byte
 * object: at live-update rates a block holds one or two candles). `blockAt`
 * builds a block's BlockLocation on first use and hands out that same object
 * while the block is live, so callers may key caches by it; the object given
 * to `addBlock` is not kept. A block no key points to any more is dropped.
 *
 * `release()` gives a summary (size, first and last time) without the keys,
 * so a store can keep only its recently used indexes whole (ResidentIndexes).
 */
export class PartitionIndex {
  /** False for a summary made by `release()`: only size, firstTime and lastTime answer. */
  readonly resident: boolean = true;
  /** Block columns by ordinal (append order). */
  private blockOffsets = EMPTY_FLOAT64;
  private blockFirstTimes = EMPTY_FLOAT64;
  private blockLastTimes = EMPTY_FLOAT64;
  private blockLengths = EMPTY_UINT32;
  private blockSequences = EMPTY_UINT32;
  private blockCandleCounts = EMPTY_UINT32;
  private blockCodecs = EMPTY_UINT8;
  /** Keys whose latest version is in each block; 0 = dead block. */
  private liveKeys = EMPTY_INT32;
  private blockCount = 0;
  /** BlockLocation objects handed out by `blockAt`, by ordinal, until their block dies. */
  private readonly handedOut = new Map<number, BlockLocation>();
  private times = EMPTY_FLOAT64;
  private blockOrdinals = EMPTY_INT32;
  private slots = EMPTY_INT32;
  private count = 0;
  private liveBlocks = 0;

  constructor(private readonly summary?: { readonly firstTime: number; readonly lastTime: number }) {
    // A summary (see release()) is not resident; an ordinary index starts empty and resident.
    if (summary !== undefined) this.resident = false;
  }

  addBlock(block: BlockLocation, openTimes: ArrayLike<number>): void {
    this.assertResident();
    const ordinal = this.blockCount;
    if (ordinal >= this.liveKeys.length) this.reserveBlocks(ordinal + 1);
    this.blockOffsets[ordinal] = block.offset;
    this.blockFirstTimes[ordinal] = block.firstOpenTime;
    this.blockLastTimes[ordinal] = block.lastOpenTime;
    this.blockLengths[ordinal] = block.totalLength;
    this.blockSequences[ordinal] = block.sequence;
    this.blockCandleCounts[ordinal] = block.candleCount;
    this.blockCodecs[ordinal] = block.codec;
    this.blockCount = ordinal + 1;
    this.liveBlocks += 1;
    for (let slot = 0; slot < openTimes.length; slot += 1) this.put(openTimes[slot]!, ordinal, slot);
    if (this.liveKeys[ordinal] === 0) this.dropBlock(ordinal);
    // Re-saved keys leave dead blocks behind: squeeze them out once they outnumber the live ones.
    const dead = this.blockCount - this.liveBlocks;
    if (dead > MIN_DEAD_BLOCKS_TO_COMPACT && dead > this.liveBlocks) this.compactBlocks();
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
      this.liveKeys.length * BYTES_PER_BLOCK +
      this.handedOut.size * BYTES_PER_HANDED_OUT_BLOCK
    );
  }

  /**
   * A summary of this index (size, first and last time) holding no keys or
   * blocks. This index itself is left intact: readers that hold it go on.
   */
  release(): PartitionIndex {
    return PartitionIndex.summary(this.count, this.firstTime, this.lastTime);
  }

  /**
   * This summary with `openTimes` appended, all after its last open time (each
   * a new key): what the file's blocks then hold, still without loading them.
   * Lets a live append to a file whose index was released skip reloading it.
   */
  extendedSummary(openTimes: ArrayLike<number>): PartitionIndex {
    if (this.resident) throw new Error('extendedSummary() is for a released index; use addBlock()');
    const first = openTimes[0];
    const last = openTimes[openTimes.length - 1];
    if (first === undefined || last === undefined) return this;
    if (!(first > this.lastTime)) {
      throw new Error(`extendedSummary(): open time ${first} is not after the last one (${this.lastTime})`);
    }
    return PartitionIndex.summary(this.count + openTimes.length, this.firstTime, last);
  }

  /**
   * A non-resident index that knows only its size and first and last open
   * time (the file's blocks give the rest when it is loaded).
   */
  static summary(count: number, firstTime: number, lastTime: number): PartitionIndex {
    const summary = new PartitionIndex(count > 0 ? { firstTime, lastTime } : undefined);
    summary.count = count;
    summary.liveKeys = new Int32Array(0);
    summary.blockOffsets = new Float64Array(0);
    summary.blockFirstTimes = new Float64Array(0);
    summary.blockLastTimes = new Float64Array(0);
    summary.blockLengths = new Uint32Array(0);
    summary.blockSequences = new Uint32Array(0);
    summary.blockCandleCounts = new Uint32Array(0);
    summary.blockCodecs = new Uint8Array(0);
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
    const ordinal = this.blockOrdinals[position]!;
    let block = this.handedOut.get(ordinal);
    if (!block) {
      block = {
        offset: this.blockOffsets[ordinal]!,
        totalLength: this.blockLengths[ordinal]!,
        sequence: this.blockSequences[ordinal]!,
        candleCount: this.blockCandleCounts[ordinal]!,
        firstOpenTime: this.blockFirstTimes[ordinal]!,
        lastOpenTime: this.blockLastTimes[ordinal]!,
        codec: this.blockCodecs[ordinal]!,
      };
      this.handedOut.set(ordinal, block);
    }
    return block;
  }

  /** Index of that candle inside its block. */
  slotAt(position: number): number {
    return this.slots[position]!;
  }

  /** Releases spare capacity (after loading a file, when no appends are expected soon). */
  trim(): void {
    if (this.liveKeys.length > this.blockCount) {
      const blocks = this.blockCount;
      this.blockOffsets = this.blockOffsets.slice(0, blocks);
      this.blockFirstTimes = this.blockFirstTimes.slice(0, blocks);
      this.blockLastTimes = this.blockLastTimes.slice(0, blocks);
      this.blockLengths = this.blockLengths.slice(0, blocks);
      this.blockSequences = this.blockSequences.slice(0, blocks);
      this.blockCandleCounts = this.blockCandleCounts.slice(0, blocks);
      this.blockCodecs = this.blockCodecs.slice(0, blocks);
      this.liveKeys = this.liveKeys.slice(0, blocks);
    }
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
    this.handedOut.delete(ordinal);
    this.liveBlocks -= 1;
  }

  /** Drops dead blocks from the block columns and renumbers the live ones (same order). */
  private compactBlocks(): void {
    const renumbered = new Int32Array(this.blockCount).fill(-1);
    let next = 0;
    for (let ordinal = 0; ordinal < this.blockCount; ordinal += 1) {
      if (this.liveKeys[ordinal] === 0) continue;
      renumbered[ordinal] = next;
      this.blockOffsets[next] = this.blockOffsets[ordinal]!;
      this.blockFirstTimes[next] = this.blockFirstTimes[ordinal]!;
      this.blockLastTimes[next] = this.blockLastTimes[ordinal]!;
      this.blockLengths[next] = this.blockLengths[ordinal]!;
      this.blockSequences[next] = this.blockSequences[ordinal]!;
      this.blockCandleCounts[next] = this.blockCandleCounts[ordinal]!;
      this.blockCodecs[next] = this.blockCodecs[ordinal]!;
      this.liveKeys[next] = this.liveKeys[ordinal]!;
      next += 1;
    }
    this.liveKeys.fill(0, next, this.blockCount);
    for (let position = 0; position < this.count; position += 1)
      this.blockOrdinals[position] = renumbered[this.blockOrdinals[position]!]!;
    const handedOut = [...this.handedOut];
    this.handedOut.clear();
    for (const [ordinal, block] of handedOut) this.handedOut.set(renumbered[ordinal]!, block);
    this.blockCount = next;
  }

  private reserveBlocks(needed: number): void {
    this.blockOffsets = grow(this.blockOffsets, needed);
    this.blockFirstTimes = grow(this.blockFirstTimes, needed);
    this.blockLastTimes = grow(this.blockLastTimes, needed);
    this.blockLengths = grow(this.blockLengths, needed);
    this.blockSequences = grow(this.blockSequences, needed);
    this.blockCandleCounts = grow(this.blockCandleCounts, needed);
    this.blockCodecs = grow(this.blockCodecs, needed);
    this.liveKeys = grow(this.liveKeys, needed);
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

function grow<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(array: T, needed: number): T {
  let capacity = Math.max(array.length * 2, INITIAL_CAPACITY);
  while (capacity < needed) capacity *= 2;
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array);
  return next;
}
