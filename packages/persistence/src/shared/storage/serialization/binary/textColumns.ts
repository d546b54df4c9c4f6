import { FtcdDecodeError } from '../../errors/StorageErrors';
import type { ByteReader } from './ByteReader';
import type { ByteWriter } from './ByteWriter';

const TEXT_CONSTANT = 0;
const TEXT_PER_ROW_UTF8 = 1;
const TEXT_PER_ROW_UTF16 = 2;

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const decoder = new TextDecoder('utf-8', { fatal: true });

function writeUtf8(writer: ByteWriter, text: string): void {
  const bytes = encoder.encode(text);
  writer.varint(bytes.length);
  writer.bytes(bytes);
}

/**
 * A string column: one string for every row when all are equal, else one per
 * row. Strings that are not well-formed UTF-16 (lone surrogates) cannot
 * survive UTF-8, so such a column is stored as raw UTF-16 code units.
 */
export function encodeTextColumn(writer: ByteWriter, values: readonly string[]): void {
  const first = values[0] ?? '';
  const wellFormed = values.every((value) => !LONE_SURROGATE.test(value));
  if (!wellFormed) {
    writer.u8(TEXT_PER_ROW_UTF16);
    for (const value of values) {
      writer.varint(value.length);
      for (let index = 0; index < value.length; index += 1) {
        const unit = value.charCodeAt(index);
        writer.u8(unit & 0xff);
        writer.u8(unit >>> 8);
      }
    }
    return;
  }
  if (values.every((value) => value === first)) {
    writer.u8(TEXT_CONSTANT);
    writeUtf8(writer, first);
    return;
  }
  writer.u8(TEXT_PER_ROW_UTF8);
  for (const value of values) writeUtf8(writer, value);
}

export function decodeTextColumn(reader: ByteReader, count: number): string[] {
  const mode = reader.u8();
  if (mode === TEXT_CONSTANT) {
    const value = decoder.decode(reader.slice(reader.varint()));
    return new Array<string>(count).fill(value);
  }
  const values = new Array<string>(count);
  if (mode === TEXT_PER_ROW_UTF8) {
    for (let row = 0; row < count; row += 1) values[row] = decoder.decode(reader.slice(reader.varint()));
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
 * A boolean column (`x`, or the presence of an optional bin field): none / all / LSB-first bitmap.
 * Takes booleans or 0/1 bytes (presence flags are kept as a Uint8Array).
 */
export function encodeFlagColumn(writer: ByteWriter, flags: ArrayLike<boolean | number>): void {
  let set = 0;
  for (let index = 0; index < flags.length; index += 1) if (flags[index]) set += 1;
  if (set === 0) writer.u8(FLAGS_NONE);
  else if (set === flags.length) writer.u8(FLAGS_ALL);
  else {
    writer.u8(FLAGS_BITMAP);
    for (let start = 0; start < flags.length; start += 8) {
      let byte = 0;
      for (let bit = 0; bit < 8 && start + bit < flags.length; bit += 1)
        if (flags[start + bit]) byte |= 1 << bit;
      writer.u8(byte);
    }
  }
}

/** The flags as 0/1 bytes. */
export function decodeFlagColumn(reader: ByteReader, count: number): Uint8Array {
  const mode = reader.u8();
  if (mode === FLAGS_NONE) return new Uint8Array(count);
  if (mode === FLAGS_ALL) return new Uint8Array(count).fill(1);
  if (mode !== FLAGS_BITMAP) throw new FtcdDecodeError(`Unknown flag column mode ${mode}`);
  const bytes = reader.slice(Math.ceil(count / 8));
  const flags = new Uint8Array(count);
  for (let index = 0; index < count; index += 1) flags[index] = (bytes[index >> 3]! >> (index & 7)) & 1;
  return flags;
}
