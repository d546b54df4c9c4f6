import type { PartitionBounds } from '../file/StorageOrganizer';
import { BinarySerializer } from '../serialization/binary/BinarySerializer';
import { BlockTimeline } from './BlockTimeline';
import { decodeFileHeader, type FtcdFileHeader, type FtcdIdentity } from './ftcdLayout';
import { PartitionIndex } from './PartitionIndex';
import type { StorageProblem } from './StorageProblem';
import { type ScanResult, scanBlocks } from './scanBlocks';
import type { HeaderWalk } from './walkBlockHeaders';

/** Blocks scanned between two looks at the clock when rebuilding an index. */
const INDEX_SLICE_BLOCKS = 256;
/** CPU time an index rebuild may hold the event loop before it lets it run. */
const INDEX_SLICE_MS = 4;

/** Open times of a block indexed from its header (reused: PartitionIndex.addBlock copies them). */
const ONE_TIME = new Float64Array(1);
const TWO_TIMES = new Float64Array(2);

/** In-memory state of one `.ftcd` partition file. */
export class PartitionFile {
  index = new PartitionIndex();
  /** Whether the file exists on disk (false until its first block is durable). */
  exists = false;
  /**
   * Whether what is on disk has been looked at: the file read (headers or
   * whole) or known not to exist yet. Found on disk but not read, `exists`,
   * `end` and the index say nothing yet: the file is loaded before its first
   * use (see BinaryStorageAdapter.loadPartitions).
   */
  loaded = false;
  /** File offset where the next block goes: just after the last valid block. */
  end = 0;
  nextSequence = 0;
  /** Set when the file must not be written to (corruption); its valid blocks stay readable. */
  quarantine: StorageProblem | undefined;
  /** A write or fsync failed: the on-disk state is unknown until the file is re-scanned. */
  suspect = false;
  /** Set while the file is being created ahead of its first candle (header only). */
  creating: Promise<void> | undefined;
  /** The writer has already looked at creating the partition after this one (once per file). */
  nextPartitionSettled = false;
  /** The writer has already looked for older partitions of the series to compact (once per file). */
  olderPartitionsSettled = false;
  /**
   * Bumped each time the file is replaced by its compacted copy (here or, for a
   * read-only store, by the writer): block locations of an earlier generation
   * no longer describe the bytes at that path.
   */
  generation = 0;
  /** Inode of the file the index describes (a compacted copy is a new inode). */
  inode: number | undefined;

  constructor(
    readonly path: string,
    readonly identity: FtcdIdentity,
    readonly bounds: PartitionBounds,
  ) {}

  /** Forgets everything loaded (before a full re-scan). */
  reset(): void {
    this.index = new PartitionIndex();
    this.exists = false;
    this.end = 0;
    this.nextSequence = 0;
    this.quarantine = undefined;
    this.suspect = false;
  }

  /**
   * Loads a whole file image. Returns where a torn tail starts (for the writer
   * to cut) and what is wrong; a problem quarantines the file.
   *
   * Every block's CRC is checked, but when each block begins after the previous
   * one ends in time (no key is in two blocks: what live saves, batch saves and
   * compaction write) the index is only a summary from the block headers. The
   * keys come from the payloads when the file is first used (ResidentIndexes):
   * inflating and decoding every payload would make opening a store cost as
   * much as reading all of it.
   */
  loadImage(bytes: Uint8Array): { problems: StorageProblem[]; tornTailAt: number | undefined } {
    this.reset();
    let headerLength: number;
    try {
      const header = decodeFileHeader(bytes);
      if (!this.isIdentityOf(header)) {
        return this.fail({
          code: 'FTCD_IDENTITY_MISMATCH',
          path: this.path,
          offset: 0,
          message: `File header says ${header.exchange}/${header.symbol}/${header.timeframe}/${header.partition}`,
        });
      }
      headerLength = header.length;
    } catch (error) {
      return this.fail({
        code: 'FTCD_BAD_FILE_HEADER',
        path: this.path,
        offset: 0,
        message: (error as Error).message,
      });
    }
    this.exists = true;
    this.end = headerLength;
    const scan = scanBlocks(bytes, headerLength, 0, 0);
    if (this.summarize(scan)) return { problems: [], tornTailAt: scan.tornTailAt };
    const outcome = this.ingestScan(bytes, scan, 0);
    this.index.trim();
    return outcome;
  }

  /**
   * Loads the file from its headers alone (walkBlockHeaders: every header and
   * the last block checked, the other payloads not read) when that walk found
   * it sound and its blocks are in time order: the index is then the same
   * summary `loadImage` would make. False, with nothing loaded, otherwise: the
   * caller loads the whole image instead, which classifies what is wrong.
   */
  loadHeaders(walk: HeaderWalk): boolean {
    this.reset();
    if (!this.isIdentityOf(walk.fileHeader)) return false;
    this.exists = true;
    this.end = walk.fileHeader.length;
    if (this.summarizeTimeline(walk.timeline, walk.end)) return true;
    this.reset();
    return false;
  }

  private isIdentityOf(header: FtcdFileHeader): boolean {
    const { exchange, symbol, timeframe, partition } = this.identity;
    return (
      header.exchange === exchange &&
      header.symbol === symbol &&
      header.timeframe === timeframe &&
      header.partition === partition
    );
  }

  /**
   * Makes the index a summary of the scanned blocks when they are sound and in
   * time order (see BlockTimeline) inside the partition; false (nothing
   * changed) otherwise.
   */
  private summarize(scan: ScanResult): boolean {
    if (scan.corruptions.length > 0) return false;
    const timeline = new BlockTimeline();
    for (const block of scan.blocks)
      timeline.add(block.candleCount, block.firstOpenTime, block.lastOpenTime, block.sequence);
    return this.summarizeTimeline(timeline, scan.validEnd);
  }

  private summarizeTimeline(timeline: BlockTimeline, end: number): boolean {
    // In order, every block lies between the first block's first and the last block's last time.
    if (
      timeline.blocks === 0 ||
      !timeline.inOrder ||
      timeline.firstOpenTime < this.bounds.start ||
      !(timeline.lastOpenTime < this.bounds.end)
    )
      return false;
    this.index = PartitionIndex.summary(timeline.candles, timeline.firstOpenTime, timeline.lastOpenTime);
    this.nextSequence = timeline.lastSequence + 1;
    this.end = end;
    return true;
  }

  /**
   * Adds the blocks found in `bytes` (file bytes from file offset `baseOffset`,
   * blocks from `start` within them) to the index.
   */
  ingest(
    bytes: Uint8Array,
    start: number,
    baseOffset: number,
  ): { problems: StorageProblem[]; tornTailAt: number | undefined } {
    return this.ingestScan(bytes, scanBlocks(bytes, start, this.nextSequence, baseOffset), baseOffset);
  }

  private ingestScan(
    bytes: Uint8Array,
    scan: ScanResult,
    baseOffset: number,
  ): { problems: StorageProblem[]; tornTailAt: number | undefined } {
    const outcome = this.indexBlocks(this.index, bytes, scan, baseOffset);
    if (outcome.nextSequence !== undefined) this.nextSequence = outcome.nextSequence;
    this.end = Math.max(this.end, outcome.validEnd);
    const { problems } = outcome;
    if (problems.length > 0 && !this.quarantine) this.quarantine = problems[0];
    return { problems, tornTailAt: problems.length > 0 ? undefined : outcome.tornTailAt };
  }

  /** Whether its index may be swapped for a summary (reloaded from the file when needed). */
  get releasable(): boolean {
    return this.index.resident && this.exists && !this.quarantine && !this.suspect;
  }

  /**
   * A fresh index of the file's bytes [0, end) (what this process wrote or
   * loaded: every block there is durable), without touching `end` or the
   * sequence. For reloading an index that was released.
   *
   * A live-written 1s day is ~86k blocks, each CRC-checked here: done in one
   * go that held the event loop for 0.15-0.3 s, stalling every ack and read of
   * the process. The scan goes in slices of INDEX_SLICE_BLOCKS blocks and
   * awaits `pause()` whenever INDEX_SLICE_MS have passed since the last pause.
   * Nothing shared is touched until the index is returned.
   */
  async rebuildIndex(
    bytes: Uint8Array,
    pause: () => Promise<void>,
  ): Promise<{ index: PartitionIndex; problems: StorageProblem[] }> {
    const index = new PartitionIndex();
    let headerLength: number;
    try {
      headerLength = decodeFileHeader(bytes).length;
    } catch (error) {
      const problem: StorageProblem = {
        code: 'FTCD_BAD_FILE_HEADER',
        path: this.path,
        offset: 0,
        message: (error as Error).message,
      };
      return { index, problems: [problem] };
    }
    const problems: StorageProblem[] = [];
    let start = headerLength;
    let sequence = 0;
    let sliceStarted = performance.now();
    for (;;) {
      const scan = scanBlocks(bytes, start, sequence, 0, INDEX_SLICE_BLOCKS);
      problems.push(...this.indexBlocks(index, bytes, scan, 0).problems);
      if (scan.resumeAt === undefined) break;
      start = scan.resumeAt;
      sequence = scan.nextSequence;
      if (performance.now() - sliceStarted >= INDEX_SLICE_MS) {
        await pause();
        sliceStarted = performance.now();
      }
    }
    index.trim();
    return { index, problems };
  }

  /** Adds the valid blocks of `bytes` to `index`; reports what is wrong. */
  private indexBlocks(
    index: PartitionIndex,
    bytes: Uint8Array,
    scan: ScanResult,
    baseOffset: number,
  ): {
    problems: StorageProblem[];
    tornTailAt: number | undefined;
    validEnd: number;
    nextSequence: number | undefined;
  } {
    let nextSequence: number | undefined;
    const problems: StorageProblem[] = scan.corruptions.map((corruption) => ({
      code: 'FTCD_CORRUPT_BLOCK',
      path: this.path,
      offset: corruption.offset,
      message: corruption.message,
    }));
    for (const block of scan.blocks) {
      let times: Float64Array;
      try {
        // One or two candles: the header's first and last open time are all of them (a live save
        // writes such a block per candle; inflating each would dominate indexing a live day). The
        // payload is checked against them when it is read. addBlock keeps neither argument.
        if (block.candleCount === 1 && block.firstOpenTime === block.lastOpenTime) {
          times = ONE_TIME;
          times[0] = block.firstOpenTime;
        } else if (block.candleCount === 2 && block.firstOpenTime < block.lastOpenTime) {
          times = TWO_TIMES;
          times[0] = block.firstOpenTime;
          times[1] = block.lastOpenTime;
        } else {
          const payloadStart = block.offset - baseOffset + (block.totalLength - block.payloadLength);
          const payload = bytes.subarray(payloadStart, payloadStart + block.payloadLength);
          times = BinarySerializer.decodeBlockOpenTimes(block.codec, payload, block.candleCount);
        }
      } catch (error) {
        problems.push({
          code: 'FTCD_BAD_BLOCK_CONTENT',
          path: this.path,
          offset: block.offset,
          message: (error as Error).message,
        });
        continue;
      }
      const wrong = blockTimesProblem(times, block, this.bounds);
      if (wrong) {
        problems.push({
          code: 'FTCD_BAD_BLOCK_CONTENT',
          path: this.path,
          offset: block.offset,
          message: wrong,
        });
        continue;
      }
      index.addBlock(
        {
          offset: block.offset,
          totalLength: block.totalLength,
          sequence: block.sequence,
          candleCount: block.candleCount,
          firstOpenTime: block.firstOpenTime,
          lastOpenTime: block.lastOpenTime,
          codec: block.codec,
        },
        times,
      );
      nextSequence = block.sequence + 1;
    }
    return { problems, tornTailAt: scan.tornTailAt, validEnd: scan.validEnd, nextSequence };
  }

  private fail(problem: StorageProblem): { problems: StorageProblem[]; tornTailAt: undefined } {
    this.quarantine = problem;
    return { problems: [problem], tornTailAt: undefined };
  }
}

/**
 * Why a block's decoded open times cannot be indexed (docs/formats/ftcd.md,
 * "Recovery"), or undefined: they must be as many as the header says, strictly
 * ascending, start and end at the header's first and last open time, and lie
 * inside the partition. Only a faulty writer leaves a CRC-valid block that fails.
 */
export function blockTimesProblem(
  times: ArrayLike<number>,
  header: { candleCount: number; firstOpenTime: number; lastOpenTime: number },
  bounds: PartitionBounds,
): string | undefined {
  if (times.length !== header.candleCount) return 'Block candle count disagrees with its header';
  for (let slot = 0; slot < times.length; slot += 1) {
    const time = times[slot]!;
    if (!(time >= bounds.start && time < bounds.end)) return 'Block holds candles outside its partition';
    if (slot > 0 && !(time > times[slot - 1]!)) return 'Block open times are not strictly ascending';
  }
  if (times[0] !== header.firstOpenTime || times[times.length - 1] !== header.lastOpenTime)
    return 'Block open times disagree with its header';
  return undefined;
}
