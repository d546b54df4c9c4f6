import { constants, copyFile, link, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FtcdFormatError } from '../errors/StorageErrors';
import { fsyncDirectory } from '../file/durableFs';
import type { PartitionBounds } from '../file/StorageOrganizer';
import { BinarySerializer } from '../serialization/binary/BinarySerializer';
import {
  BLOCK_HEADER_SIZE,
  decodeFileHeader,
  encodeBlock,
  encodeFileHeader,
  type FtcdIdentity,
  readBlockHeader,
} from './ftcdLayout';
import { blockTimesProblem } from './PartitionFile';
import type { StorageProblem } from './StorageProblem';
import { type ScannedBlock, scanBlocks } from './scanBlocks';

export interface RepairOptions {
  /** Report what would be done; change nothing. */
  dryRun?: boolean;
  /**
   * Also read every file whole and decode every block (as `verifyStore`
   * does), repairing damage no read has reached yet. Without it only files
   * the store has quarantined are repaired.
   */
  checkEveryBlock?: boolean;
}

/** A byte region of a damaged file that the repaired file leaves out. */
export interface DroppedRegion {
  /** File offset where the region starts, and its length. */
  offset: number;
  bytes: number;
  /**
   * `corrupt`: bytes that are not a valid block (bad CRC, bad header);
   * `bad-content`: a CRC-valid block that does not decode or holds candles
   * that cannot be in this partition; `torn-tail`: an append a crash cut
   * short (never acknowledged).
   */
  reason: 'corrupt' | 'bad-content' | 'torn-tail';
  message: string;
  /**
   * When the region is one block whose own header is intact (its header CRC
   * holds): how many candles it held and their open-time span. These are the
   * candles lost with it, unless an earlier block of the file holds an older
   * version of some (which the repaired file keeps, as reads returned it).
   */
  candleCount?: number;
  firstOpenTime?: number;
  lastOpenTime?: number;
}

/** What `repair()` did (or, in a dry run, would do) to one quarantined partition file. */
export interface RepairedFile {
  path: string;
  /** What the store reported about the file (why it was quarantined). */
  problems: StorageProblem[];
  /**
   * `rewritten`: a new file holding every whole block of the damaged one
   * replaced it; `set-aside`: the file's header is unusable (nothing of it
   * was readable), so it is moved aside and the partition starts empty.
   */
  action: 'rewritten' | 'set-aside';
  /** Candles readable from the partition after the repair: exactly those reads returned before it. */
  candles: number;
  /** Blocks copied into the new file. */
  blocks: number;
  dropped: DroppedRegion[];
  bytesBefore: number;
  bytesAfter: number;
  /** Where the original file is kept, byte for byte (not set in a dry run). */
  damagedCopy?: string;
}

export interface RepairReport {
  dryRun: boolean;
  files: RepairedFile[];
}

/** The whole blocks of a damaged partition file, renumbered into a new file image. */
export interface RebuiltPartition {
  chunks: Uint8Array[];
  bytes: number;
  blocks: number;
  dropped: DroppedRegion[];
}

/**
 * The file image that keeps every block of `bytes` that readers could use
 * (header and block CRC valid, payload decodes to candles of this partition),
 * in file order and renumbered 0, 1, 2, ... (payloads copied as they are).
 * File order keeps the version rule: a later block's version of a key still
 * wins. Throws FtcdFormatError when the file header is unusable or names
 * another series or partition.
 */
export function rebuildPartitionImage(
  bytes: Uint8Array,
  identity: FtcdIdentity,
  bounds: PartitionBounds,
): RebuiltPartition {
  const header = decodeFileHeader(bytes);
  if (
    header.exchange !== identity.exchange ||
    header.symbol !== identity.symbol ||
    header.timeframe !== identity.timeframe ||
    header.partition !== identity.partition
  ) {
    throw new FtcdFormatError(
      `File header says ${header.exchange}/${header.symbol}/${header.timeframe}/${header.partition}`,
    );
  }
  const scan = scanBlocks(bytes, header.length, 0);
  const fileHeader = encodeFileHeader(identity);
  const chunks: Uint8Array[] = [fileHeader];
  const dropped: DroppedRegion[] = [];
  let size = fileHeader.length;
  let covered = header.length;
  const dropGap = (until: number) => {
    if (until > covered) dropped.push(corruptRegion(bytes, covered, until));
  };
  for (const block of scan.blocks) {
    dropGap(block.offset);
    covered = block.offset + block.totalLength;
    const payload = bytes.subarray(block.offset + BLOCK_HEADER_SIZE, covered);
    const problem = blockContentProblem(block, payload, bounds);
    if (problem) {
      dropped.push({
        offset: block.offset,
        bytes: block.totalLength,
        reason: 'bad-content',
        message: problem,
        candleCount: block.candleCount,
        firstOpenTime: block.firstOpenTime,
        lastOpenTime: block.lastOpenTime,
      });
      continue;
    }
    const sequence = chunks.length - 1;
    const copy = encodeBlock({ ...block, sequence }, payload);
    chunks.push(copy);
    size += copy.length;
  }
  dropGap(scan.tornTailAt ?? bytes.length);
  if (scan.tornTailAt !== undefined) {
    dropped.push({
      offset: scan.tornTailAt,
      bytes: bytes.length - scan.tornTailAt,
      reason: 'torn-tail',
      message: 'An append cut short by a crash (never acknowledged)',
    });
  }
  return { chunks, bytes: size, blocks: chunks.length - 1, dropped };
}

/** Why a CRC-valid block cannot be read as candles of this partition, or undefined. */
function blockContentProblem(
  block: ScannedBlock,
  payload: Uint8Array,
  bounds: PartitionBounds,
): string | undefined {
  try {
    const columns = BinarySerializer.decodeBlockColumns(block.codec, payload);
    const times = new Float64Array(columns.count);
    for (let row = 0; row < columns.count; row += 1) times[row] = columns.openTime(row);
    return blockTimesProblem(times, block, bounds);
  } catch (error) {
    return (error as Error).message;
  }
}

function corruptRegion(bytes: Uint8Array, from: number, to: number): DroppedRegion {
  const region: DroppedRegion = {
    offset: from,
    bytes: to - from,
    reason: 'corrupt',
    message: `No valid block in bytes ${from}..${to}`,
  };
  // A complete block whose header CRC holds but whose block CRC does not: its header says what it held.
  const header = readBlockHeader(bytes, from);
  if (header && BLOCK_HEADER_SIZE + header.payloadLength === to - from) {
    region.message = `Block CRC mismatch at offset ${from}`;
    region.candleCount = header.candleCount;
    region.firstOpenTime = header.firstOpenTime;
    region.lastOpenTime = header.lastOpenTime;
  }
  return region;
}

/**
 * Keeps the file at `path` as `{path}.damaged-{UTC time}` (a hard link, or a
 * fsync'd copy where links are not possible) and fsyncs the directory, so the
 * name survives a crash. Returns the copy's path. The name does not end in
 * `.ftcd`: the store never reads it.
 */
export async function keepDamagedCopy(path: string, now = new Date()): Promise<string> {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  for (let attempt = 0; ; attempt += 1) {
    const copy = `${path}.damaged-${stamp}${attempt === 0 ? '' : `-${attempt}`}`;
    try {
      await link(path, copy);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (
        code !== 'EPERM' &&
        code !== 'ENOTSUP' &&
        code !== 'ENOSYS' &&
        code !== 'EMLINK' &&
        code !== 'EXDEV'
      )
        throw error;
      try {
        await copyFile(path, copy, constants.COPYFILE_EXCL);
      } catch (copyError) {
        if ((copyError as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw copyError;
      }
      const handle = await open(copy, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await fsyncDirectory(dirname(path));
    return copy;
  }
}
