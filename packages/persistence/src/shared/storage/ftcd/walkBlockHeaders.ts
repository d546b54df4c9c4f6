import { type FileHandle, open } from 'node:fs/promises';
import type { FileImage } from '../file/readFileImage';
import { BlockTimeline } from './BlockTimeline';
import {
  BLOCK_HEADER_SIZE,
  blockCrcValid,
  decodeFileHeader,
  type FtcdFileHeader,
  MAX_FILE_HEADER,
  readBlockHeader,
} from './ftcdLayout';

/** A file's header and what its block headers say, read without its payloads. */
export interface HeaderWalk {
  readonly fileHeader: FtcdFileHeader;
  /** Every block, numbered from 0 without a gap. */
  readonly timeline: BlockTimeline;
  /** File offset just after the last block: the file's size. */
  readonly end: number;
}

/** Bytes read at once while block headers are close together. */
const HEADER_WINDOW = 64 * 1024;
/** Bytes read for the next header after a block larger than a quarter of the window. */
const HEADER_READ = 4 * 1024;

/**
 * Walks the block headers of a file of `size` bytes through `handle`, reading
 * the payloads of neither block but the last (whose block CRC it checks, as
 * a crash could have left it incomplete). Each header's own CRC is checked.
 * Headers close together are read a window at a time; after a large block
 * only the next header's page is read, so a file of a few large blocks costs a
 * few small reads instead of reading it all.
 *
 * Returns undefined unless the file is plainly sound: a valid file header,
 * block headers that all check, sequences 0, 1, 2, … and a last block that ends
 * exactly at `size` with a valid CRC. Anything else (a tail, a bad header, a
 * gap) is for a whole-file scan to classify (scanBlocks).
 */
export async function walkBlockHeaders(handle: FileHandle, size: number): Promise<HeaderWalk | undefined> {
  const buffer = new Uint8Array(HEADER_WINDOW);
  /** The bytes read last (a view of `buffer`), from file offset `bufferStart`. */
  let lastRead = buffer.subarray(0, 0);
  let bufferStart = 0;
  // Small until the first block shows how far apart headers are.
  let readLength = HEADER_READ;
  /** Reads from `position` into the buffer; false when fewer than `length` bytes are there. */
  const fill = async (position: number, length: number): Promise<boolean> => {
    const want = Math.min(Math.max(readLength, length), size - position, buffer.length);
    if (want < length) return false;
    const { bytesRead } = await handle.read(buffer, 0, want, position);
    bufferStart = position;
    lastRead = buffer.subarray(0, bytesRead);
    return bytesRead >= length;
  };
  const inBuffer = (position: number, length: number) =>
    position >= bufferStart && position + length <= bufferStart + lastRead.length;

  const headLength = Math.min(size, MAX_FILE_HEADER);
  if (!(await fill(0, headLength))) return undefined;
  let fileHeader: FtcdFileHeader;
  try {
    fileHeader = decodeFileHeader(lastRead.subarray(0, headLength));
  } catch {
    return undefined;
  }
  const timeline = new BlockTimeline();
  let position = fileHeader.length;
  let lastOffset = -1;
  let lastLength = 0;
  while (position < size) {
    // Awaits only when the next header is outside the buffer: most headers of small blocks are in it.
    if (!inBuffer(position, BLOCK_HEADER_SIZE) && !(await fill(position, BLOCK_HEADER_SIZE)))
      return undefined;
    const header = readBlockHeader(lastRead, position - bufferStart);
    if (!header || header.sequence !== timeline.blocks) return undefined;
    const totalLength = BLOCK_HEADER_SIZE + header.payloadLength;
    if (position + totalLength > size) return undefined;
    timeline.add(header.candleCount, header.firstOpenTime, header.lastOpenTime, header.sequence);
    lastOffset = position;
    lastLength = totalLength;
    readLength = totalLength > HEADER_WINDOW / 4 ? HEADER_READ : HEADER_WINDOW;
    position += totalLength;
  }
  if (lastOffset >= 0) {
    const bytes = new Uint8Array(lastLength);
    const { bytesRead } = await handle.read(bytes, 0, lastLength, lastOffset);
    if (bytesRead < lastLength || !blockCrcValid(bytes, 0, lastLength - BLOCK_HEADER_SIZE)) return undefined;
  }
  return { fileHeader, timeline, end: position };
}

/** Files up to this size are read whole when opened: one read costs no more than walking their headers. */
const WHOLE_FILE_BYTES = 64 * 1024;

/** What opening a partition file read: its headers (a large, plainly sound file) or all of it. */
export type FileOpening =
  | { readonly walk: HeaderWalk; readonly inode: number }
  | { readonly image: FileImage };

/**
 * Reads what opening a partition file needs, through one handle (the bytes
 * and inode are of one file even if the path is replaced meanwhile): the
 * headers when the file is larger than 64 KiB, plainly sound and its blocks
 * in time order, else the whole file.
 */
export async function readForOpening(path: string): Promise<FileOpening> {
  const handle = await open(path, 'r');
  try {
    const { ino, size } = await handle.stat();
    if (size > WHOLE_FILE_BYTES) {
      const walk = await walkBlockHeaders(handle, size);
      // Blocks out of time order need the whole file anyway (their index is built on open).
      if (walk?.timeline.inOrder) return { walk, inode: ino };
    }
    // Positioned reads above leave the file position at 0: this reads the file to its end.
    return { image: { bytes: await handle.readFile(), inode: ino } };
  } finally {
    await handle.close();
  }
}
