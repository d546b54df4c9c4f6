import { FtcdFormatError } from '../errors/StorageErrors';
import { crc32c } from './crc32c';

/** Byte layout of `.ftcd` files: see docs/formats/ftcd.md. All integers little-endian. */
export const FILE_MAGIC = 0x44435446; // "FTCD" read as u32 LE
export const FORMAT_VERSION = 1;
export const BLOCK_MAGIC = 0x4b425446; // "FTBK" read as u32 LE
export const BLOCK_HEADER_SIZE = 44;
/** Bytes of the block header covered by the header CRC. */
const HEADER_CRC_SPAN = 36;
/** A block payload larger than this is treated as a corrupt length. */
export const MAX_PAYLOAD_LENGTH = 256 * 1024 * 1024;
export const MAX_FILE_HEADER = 4 + 2 + 2 + 4 * 256 + 4;

export interface FtcdIdentity {
  exchange: string;
  symbol: string;
  timeframe: string;
  partition: string;
}

export interface FtcdFileHeader extends FtcdIdentity {
  version: number;
  /** Total header length in bytes; the first block starts here. */
  length: number;
}

export interface BlockHeader {
  payloadLength: number;
  sequence: number;
  candleCount: number;
  firstOpenTime: number;
  lastOpenTime: number;
  codec: number;
}

const ascii = new TextEncoder();
const asciiDecoder = new TextDecoder();

export function encodeFileHeader(identity: FtcdIdentity): Uint8Array {
  const parts = [identity.exchange, identity.symbol, identity.timeframe, identity.partition].map((text) =>
    ascii.encode(text),
  );
  const length = 8 + parts.reduce((sum, part) => sum + 1 + part.length, 0) + 4;
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, FILE_MAGIC, true);
  view.setUint16(4, FORMAT_VERSION, true);
  view.setUint16(6, length, true);
  let offset = 8;
  for (const part of parts) {
    if (part.length > 255) throw new FtcdFormatError('Identity string longer than 255 bytes');
    bytes[offset] = part.length;
    bytes.set(part, offset + 1);
    offset += 1 + part.length;
  }
  view.setUint32(offset, crc32c(bytes, 0, 0, offset), true);
  return bytes;
}

/** Parses and checks the file header at the start of `bytes`; throws `FtcdFormatError` when unusable. */
export function decodeFileHeader(bytes: Uint8Array): FtcdFileHeader {
  if (bytes.length < 12) throw new FtcdFormatError('File shorter than a file header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== FILE_MAGIC) throw new FtcdFormatError('Not a .ftcd file (bad magic)');
  const version = view.getUint16(4, true);
  if (version !== FORMAT_VERSION) throw new FtcdFormatError(`Unsupported .ftcd format version ${version}`);
  const length = view.getUint16(6, true);
  if (length < 16 || length > MAX_FILE_HEADER || length > bytes.length) {
    throw new FtcdFormatError(`Bad file header length ${length}`);
  }
  if (view.getUint32(length - 4, true) !== crc32c(bytes, 0, 0, length - 4)) {
    throw new FtcdFormatError('File header CRC mismatch');
  }
  const strings: string[] = [];
  let offset = 8;
  for (let index = 0; index < 4; index += 1) {
    const size = bytes[offset]!;
    if (offset + 1 + size > length - 4) throw new FtcdFormatError('File header strings overrun the header');
    strings.push(asciiDecoder.decode(bytes.subarray(offset + 1, offset + 1 + size)));
    offset += 1 + size;
  }
  if (offset !== length - 4) throw new FtcdFormatError('File header has unexpected bytes');
  const [exchange = '', symbol = '', timeframe = '', partition = ''] = strings;
  return { version, length, exchange, symbol, timeframe, partition };
}

/** Header + payload of one block, ready to append. */
export function encodeBlock(header: Omit<BlockHeader, 'payloadLength'>, payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(BLOCK_HEADER_SIZE + payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, BLOCK_MAGIC, true);
  view.setUint32(4, payload.length, true);
  view.setUint32(8, header.sequence, true);
  view.setUint32(12, header.candleCount, true);
  view.setFloat64(16, header.firstOpenTime, true);
  view.setFloat64(24, header.lastOpenTime, true);
  bytes[32] = header.codec;
  // bytes 33..35: flags and reserved, zero.
  view.setUint32(36, crc32c(bytes, 0, 0, HEADER_CRC_SPAN), true);
  bytes.set(payload, BLOCK_HEADER_SIZE);
  const blockCrc = crc32c(bytes, crc32c(bytes, 0, 0, 40), BLOCK_HEADER_SIZE, bytes.length);
  view.setUint32(40, blockCrc, true);
  return bytes;
}

/** Reads an unsigned 32-bit little-endian integer (no DataView: headers are read once per block). */
function u32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

const F64_BYTES = new Uint8Array(8);
const F64 = new Float64Array(F64_BYTES.buffer);
/** Byte order of this host's typed arrays (s390x is big-endian). */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads a little-endian float64 through a scratch array (no DataView per header). */
function f64(bytes: Uint8Array, offset: number): number {
  if (HOST_LITTLE_ENDIAN) for (let k = 0; k < 8; k += 1) F64_BYTES[k] = bytes[offset + k]!;
  else for (let k = 0; k < 8; k += 1) F64_BYTES[7 - k] = bytes[offset + k]!;
  return F64[0]!;
}

/** The block header at `offset` when its magic and header CRC are valid, else undefined. */
export function readBlockHeader(bytes: Uint8Array, offset: number): BlockHeader | undefined {
  if (offset + BLOCK_HEADER_SIZE > bytes.length) return undefined;
  if (u32(bytes, offset) !== BLOCK_MAGIC) return undefined;
  if (u32(bytes, offset + 36) !== crc32c(bytes, 0, offset, offset + HEADER_CRC_SPAN)) return undefined;
  return {
    payloadLength: u32(bytes, offset + 4),
    sequence: u32(bytes, offset + 8),
    candleCount: u32(bytes, offset + 12),
    firstOpenTime: f64(bytes, offset + 16),
    lastOpenTime: f64(bytes, offset + 24),
    codec: bytes[offset + 32]!,
  };
}

/** Whether the block at `offset` (header already valid, payload fully inside `bytes`) has a valid block CRC. */
export function blockCrcValid(bytes: Uint8Array, offset: number, payloadLength: number): boolean {
  const crc = crc32c(
    bytes,
    crc32c(bytes, 0, offset, offset + 40),
    offset + BLOCK_HEADER_SIZE,
    offset + BLOCK_HEADER_SIZE + payloadLength,
  );
  return u32(bytes, offset + 40) === crc;
}
