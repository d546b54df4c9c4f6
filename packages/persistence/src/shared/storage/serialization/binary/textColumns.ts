import { FtcdDecodeError } from '../../errors/StorageErrors';
import type { ByteReader } from './ByteReader';
import type { ByteWriter } from './ByteWriter';

const TEXT_CONSTANT = 0;
const TEXT_PER_ROW_UTF8 = 1;
const TEXT_PER_ROW_UTF16 = 2;

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Strings of at most this many UTF-16 units have their UTF-8 form remembered by `utf8Of`. */
const REMEMBERED_UNITS = 32;
const REMEMBERED_STRINGS = 256;
/** UTF-8 of recent short strings; null for strings that are not well-formed UTF-16. */
const utf8Forms = new Map<string, Uint8Array | null>();

/**
 * The UTF-8 bytes of `text`, or null when it holds a lone surrogate (which
 * UTF-8 cannot carry). The short strings of a store recur in every block, and
 * a TextEncoder call per column and block was most of encoding a one-candle
 * block's text; they are remembered (a bounded set, emptied when full).
 */
function utf8Of(text: string): Uint8Array | null {
  if (text.length > REMEMBERED_UNITS) return LONE_SURROGATE.test(text) ? null : encoder.encode(text);
  const known = utf8Forms.get(text);
  if (known !== undefined) return known;
  const bytes = LONE_SURROGATE.test(text) ? null : encoder.encode(text);
  if (utf8Forms.size >= REMEMBERED_STRINGS) utf8Forms.clear();
  utf8Forms.set(text, bytes);
  return bytes;
}

/**
 * A string column (values[0..count)): one string for every row when all are
 * equal, else one per row. Strings that are not well-formed UTF-16 (lone
 * surrogates) cannot survive UTF-8, so such a column is stored as raw UTF-16
 * code units.
 */
export function encodeTextColumn(writer: ByteWriter, values: readonly string[], count: number): void {
  const first = count > 0 ? values[0]! : '';
  let allSame = true;
  for (let row = 1; row < count; row += 1) {
    if (values[row] !== first) {
      allSame = false;
      break;
    }
  }
  if (allSame) {
    // The usual column (a store's exchange, symbol, timeframe…): one UTF-8 look-up.
    const bytes = utf8Of(first);
    if (bytes === null) writeUtf16Rows(writer, values, count);
    else {
      writer.u8(TEXT_CONSTANT);
      writeUtf8(writer, bytes);
    }
    return;
  }
  for (let row = 0; row < count; row += 1) {
    if (utf8Of(values[row]!) === null) {
      writeUtf16Rows(writer, values, count);
      return;
    }
  }
  writer.u8(TEXT_PER_ROW_UTF8);
  for (let row = 0; row < count; row += 1) writeUtf8(writer, utf8Of(values[row]!)!);
}

function writeUtf16Rows(writer: ByteWriter, values: readonly string[], count: number): void {
  writer.u8(TEXT_PER_ROW_UTF16);
  for (let row = 0; row < count; row += 1) {
    const value = values[row]!;
    writer.varint(value.length);
    for (let index = 0; index < value.length; index += 1) {
      const unit = value.charCodeAt(index);
      writer.u8(unit & 0xff);
      writer.u8(unit >>> 8);
    }
  }
}

function writeUtf8(writer: ByteWriter, bytes: Uint8Array): void {
  writer.varint(bytes.length);
  writer.bytes(bytes);
}

/** Strings of at most this many bytes are remembered by `readUtf8`. */
const REMEMBERED_BYTES = 32;
const REMEMBERED_SLOTS = 64;
const rememberedBytes: (Uint8Array | undefined)[] = new Array(REMEMBERED_SLOTS);
const rememberedTexts: string[] = new Array(REMEMBERED_SLOTS);

/**
 * Decodes a UTF-8 string of the payload. The few short strings of a store
 * (exchange, symbol, timeframe, event type, time zone) recur in every block:
 * remembering them by their bytes skips a TextDecoder call per column and
 * block (most of decoding a one-candle block's text), and every decoded
 * candle of a series shares one copy of each string.
 */
function readUtf8(reader: ByteReader): string {
  const bytes = reader.slice(reader.varint());
  const length = bytes.length;
  if (length === 0 || length > REMEMBERED_BYTES) return decoder.decode(bytes);
  const slot =
    (length * 31 + bytes[0]! * 7 + bytes[length - 1]! + bytes[length >> 1]! * 3) & (REMEMBERED_SLOTS - 1);
  const known = rememberedBytes[slot];
  if (known !== undefined && known.length === length) {
    let same = true;
    for (let index = 0; index < length; index += 1) {
      if (known[index] !== bytes[index]) {
        same = false;
        break;
      }
    }
    if (same) return rememberedTexts[slot]!;
  }
  const text = decoder.decode(bytes);
  rememberedBytes[slot] = bytes.slice();
  rememberedTexts[slot] = text;
  return text;
}

export function decodeTextColumn(reader: ByteReader, count: number): string[] {
  const mode = reader.u8();
  if (mode === TEXT_CONSTANT) {
    const value = readUtf8(reader);
    return new Array<string>(count).fill(value);
  }
  const values = new Array<string>(count);
  if (mode === TEXT_PER_ROW_UTF8) {
    for (let row = 0; row < count; row += 1) values[row] = readUtf8(reader);
    return values;
  }
  if (mode === TEXT_PER_ROW_UTF16) {
    for (let row = 0; row < count; row += 1) {
      const units = reader.varint();
      const bytes = reader.slice(units * 2);
      let text = '';
      for (let index = 0; index < units; index += 1) {
        text += String.fromCharCode(bytes[index * 2]! | (bytes[index * 2 + 1]! << 8));
      }
      values[row] = text;
    }
    return values;
  }
  throw new FtcdDecodeError(`Unknown text column mode ${mode}`);
}

const FLAGS_NONE = 0;
const FLAGS_ALL = 1;
const FLAGS_BITMAP = 2;

/**
 * A boolean column (`x`, or the presence of an optional bin field), of
 * flags[0..count) of which `set` are set (the caller counts them while it
 * gathers them): none / all / LSB-first bitmap. Takes booleans or 0/1 bytes
 * (presence flags are kept as a Uint8Array).
 */
export function writeFlagColumn(
  writer: ByteWriter,
  flags: ArrayLike<boolean | number>,
  count: number,
  set: number,
): void {
  if (set === 0) writer.u8(FLAGS_NONE);
  else if (set === count) writer.u8(FLAGS_ALL);
  else {
    writer.u8(FLAGS_BITMAP);
    for (let start = 0; start < count; start += 8) {
      let byte = 0;
      for (let bit = 0; bit < 8 && start + bit < count; bit += 1) if (flags[start + bit]) byte |= 1 << bit;
      writer.u8(byte);
    }
  }
}

/** The flags as 0/1 bytes. */
export function decodeFlagColumn(reader: ByteReader, count: number): Uint8Array {
  const flags = new Uint8Array(count);
  decodeFlagColumnInto(reader, flags);
  return flags;
}

/** How a flag column was written: every flag clear, every flag set, or a bitmap of both. */
export type FlagColumnShape = 'none' | 'all' | 'mixed';

/** Reads a flag column into `target` (its whole length, which must start zeroed) as 0/1 bytes. */
export function decodeFlagColumnInto(reader: ByteReader, target: Uint8Array): FlagColumnShape {
  const mode = reader.u8();
  if (mode === FLAGS_NONE) return 'none';
  if (mode === FLAGS_ALL) {
    target.fill(1);
    return 'all';
  }
  if (mode !== FLAGS_BITMAP) throw new FtcdDecodeError(`Unknown flag column mode ${mode}`);
  const count = target.length;
  const bytes = reader.slice(Math.ceil(count / 8));
  for (let index = 0; index < count; index += 1) target[index] = (bytes[index >> 3]! >> (index & 7)) & 1;
  return 'mixed';
}
