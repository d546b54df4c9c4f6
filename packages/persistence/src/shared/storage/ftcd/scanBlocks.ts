import {
  BLOCK_HEADER_SIZE,
  BLOCK_MAGIC,
  type BlockHeader,
  blockCrcValid,
  MAX_PAYLOAD_LENGTH,
  readBlockHeader,
} from './ftcdLayout';

/** A block whose header and block CRC are valid. Offsets are file offsets. */
export interface ScannedBlock extends BlockHeader {
  offset: number;
  /** Header + payload bytes. */
  totalLength: number;
}

export interface ScanCorruption {
  /** File offset of the first bad byte region. */
  offset: number;
  reason: 'bad-block-header' | 'bad-block-crc' | 'sequence-gap';
  message: string;
}

export interface ScanResult {
  blocks: ScannedBlock[];
  corruptions: ScanCorruption[];
  /**
   * File offset where an incomplete last block (or a zero-filled tail) starts:
   * bytes a crash left behind that no save ever acknowledged. Undefined when
   * the region ends exactly after its last block.
   */
  tornTailAt: number | undefined;
  /** File offset just after the last valid block (or the scan start when none). */
  validEnd: number;
  /**
   * Set when the scan stopped early at its block budget: the offset (within
   * `bytes`) of the next block, where a further scan resumes with
   * `nextSequence` as exactly as if this one had gone on.
   */
  resumeAt: number | undefined;
  /** The sequence the next block should have. */
  nextSequence: number;
}

function isAllZero(bytes: Uint8Array, from: number): boolean {
  for (let index = from; index < bytes.length; index += 1) if (bytes[index] !== 0) return false;
  return true;
}

/** Offset of the next position >= from holding a block with valid header and CRC, or -1. */
function findNextValidBlock(bytes: Uint8Array, from: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let position = from; position + BLOCK_HEADER_SIZE <= bytes.length; position += 1) {
    if (view.getUint32(position, true) !== BLOCK_MAGIC) continue;
    const header = readBlockHeader(bytes, position);
    if (!header || position + BLOCK_HEADER_SIZE + header.payloadLength > bytes.length) continue;
    if (blockCrcValid(bytes, position, header.payloadLength)) return position;
  }
  return -1;
}

/**
 * Walks the blocks of `bytes` (the file's bytes from file offset `baseOffset`;
 * blocks start at `start` within it) and classifies everything
 * (docs/formats/ftcd.md, "Recovery"):
 * - fewer bytes than a block header, a valid header whose payload is cut
 *   short, or only zero bytes: a torn tail (crash during an append);
 * - a bad header CRC or a bad block CRC on a complete block: corruption. The
 *   scan resynchronises on the next valid block so everything after stays
 *   readable; corruption is never classified as a torn tail.
 *
 * `maxBlocks` stops the scan after that many valid blocks (`resumeAt`), so a
 * caller can scan a large file in slices and let the event loop run between.
 */
export function scanBlocks(
  bytes: Uint8Array,
  start: number,
  expectedSequence: number,
  baseOffset = 0,
  maxBlocks = Number.POSITIVE_INFINITY,
): ScanResult {
  const blocks: ScannedBlock[] = [];
  const corruptions: ScanCorruption[] = [];
  let position = start;
  let nextSequence = expectedSequence;
  let tornTailAt: number | undefined;
  let validEnd = baseOffset + start;
  let resumeAt: number | undefined;
  while (position < bytes.length) {
    if (blocks.length >= maxBlocks) {
      resumeAt = position;
      break;
    }
    const remaining = bytes.length - position;
    if (remaining < BLOCK_HEADER_SIZE || isAllZero(bytes, position)) {
      tornTailAt = baseOffset + position;
      break;
    }
    const header = readBlockHeader(bytes, position);
    const complete = header !== undefined && header.payloadLength <= remaining - BLOCK_HEADER_SIZE;
    if (header && !complete && header.payloadLength <= MAX_PAYLOAD_LENGTH) {
      // A trustworthy header (its CRC holds) announcing more bytes than exist: cut short by a crash.
      tornTailAt = baseOffset + position;
      break;
    }
    if (!header || !complete || !blockCrcValid(bytes, position, header.payloadLength)) {
      const reason = header && complete ? 'bad-block-crc' : 'bad-block-header';
      corruptions.push({
        offset: baseOffset + position,
        reason,
        message:
          reason === 'bad-block-crc'
            ? `Block CRC mismatch at offset ${baseOffset + position}`
            : `Invalid block header at offset ${baseOffset + position}`,
      });
      if (header && complete) {
        // The length is covered by the header CRC, so the next block starts right after.
        position += BLOCK_HEADER_SIZE + header.payloadLength;
        nextSequence = header.sequence + 1;
        continue;
      }
      const next = findNextValidBlock(bytes, position + 1);
      if (next < 0) break;
      position = next;
      nextSequence = readBlockHeader(bytes, next)!.sequence;
      continue;
    }
    if (header.sequence !== nextSequence) {
      corruptions.push({
        offset: baseOffset + position,
        reason: 'sequence-gap',
        message: `Block at offset ${baseOffset + position} has sequence ${header.sequence}, expected ${nextSequence}`,
      });
    }
    const totalLength = BLOCK_HEADER_SIZE + header.payloadLength;
    // An explicit literal, not a spread of `header`: a live day has ~86k blocks and spreads are slow.
    blocks.push({
      payloadLength: header.payloadLength,
      sequence: header.sequence,
      candleCount: header.candleCount,
      firstOpenTime: header.firstOpenTime,
      lastOpenTime: header.lastOpenTime,
      codec: header.codec,
      offset: baseOffset + position,
      totalLength,
    });
    nextSequence = header.sequence + 1;
    position += totalLength;
    validEnd = baseOffset + position;
  }
  return { blocks, corruptions, tornTailAt, validEnd, resumeAt, nextSequence };
}
