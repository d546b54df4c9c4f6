/**
 * Largest |value| a zigzag run stores: its zigzag is then below 2^53, so
 * writing and reading it are exact (numberGroup.ts, MAX_STORED).
 */
export const MAX_ZIGZAG_SOURCE = 2 ** 52 - 1;

/** Growable little-endian byte buffer with LEB128 varints (exact up to 2^53 via arithmetic, not bit ops). */
export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 4096) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** Unsigned LEB128 of a non-negative integer <= 2^54. */
  varint(value: number): void {
    this.reserve(8);
    this.length = putVarint(this.buffer, this.length, value);
  }

  /**
   * Zigzag varints of values[start..end), or with `delta` of the differences
   * from the previous value (the first from 0), after a `mode` byte. Writes
   * nothing and returns false when one of them is not storable exactly
   * (|value| > 2^52 − 1, or not a number): the check and the write are one
   * pass, as this is the encoder's innermost loop. One bounds reservation and
   * no call per value.
   */
  zigzagRun(mode: number, values: Float64Array, start: number, end: number, delta: boolean): boolean {
    this.reserve(1 + (end - start) * 8);
    const buffer = this.buffer;
    let at = this.length;
    buffer[at++] = mode;
    let previous = 0;
    for (let j = start; j < end; j += 1) {
      const value = values[j]!;
      const signed = delta ? value - previous : value;
      previous = value;
      // A computed |difference| <= 2^52 − 1 implies the exact difference was representable.
      if (!(Math.abs(signed) <= MAX_ZIGZAG_SOURCE)) return false;
      at = putVarint(buffer, at, signed >= 0 ? signed * 2 : -signed * 2 - 1);
    }
    this.length = at;
    return true;
  }

  /** The bytes written, as a view valid until the next write or `reset()`. */
  written(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** Empties the writer, keeping its buffer for the next use. */
  reset(): void {
    this.length = 0;
  }
}

/**
 * Writes the LEB128 of `value` (a non-negative integer <= 2^54) at
 * buffer[at..] and returns the position after it. Up to four bytes (28 bits,
 * most values) by branches on the size rather than a loop; longer ones with
 * exact float arithmetic (bit operations stop at 32 bits).
 */
function putVarint(buffer: Uint8Array, at: number, value: number): number {
  if (value < 0x80) {
    buffer[at] = value;
    return at + 1;
  }
  if (value < 0x4000) {
    buffer[at] = (value & 0x7f) | 0x80;
    buffer[at + 1] = value >>> 7;
    return at + 2;
  }
  if (value < 0x200000) {
    buffer[at] = (value & 0x7f) | 0x80;
    buffer[at + 1] = ((value >>> 7) & 0x7f) | 0x80;
    buffer[at + 2] = value >>> 14;
    return at + 3;
  }
  let rest = value;
  let position = at;
  while (rest >= 0x10000000) {
    buffer[position++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  while (rest >= 0x80) {
    buffer[position++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  buffer[position++] = rest;
  return position;
}
