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
    let rest = value;
    while (rest >= 0x80) {
      if (rest < 0x10000000) {
        // Small enough for bit operations from here on.
        let small = rest;
        while (small >= 0x80) {
          this.buffer[this.length++] = (small & 0x7f) | 0x80;
          small >>>= 7;
        }
        this.buffer[this.length++] = small;
        return;
      }
      this.buffer[this.length++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.buffer[this.length++] = rest;
  }

  /**
   * Zigzag varints of values[start..end) (each |value| <= 2^52), or with
   * `delta` of the differences from the previous value (the first from 0).
   * One bounds reservation and no call per value: this is the encoder's
   * innermost loop.
   */
  zigzagRun(values: Float64Array, start: number, end: number, delta = false): void {
    this.reserve((end - start) * 8);
    const buffer = this.buffer;
    let at = this.length;
    let previous = 0;
    for (let j = start; j < end; j += 1) {
      const value = values[j]!;
      const signed = delta ? value - previous : value;
      previous = value;
      let rest = signed >= 0 ? signed * 2 : -signed * 2 - 1;
      if (rest < 0x80) {
        buffer[at++] = rest;
        continue;
      }
      while (rest >= 0x10000000) {
        buffer[at++] = (rest % 128) | 0x80;
        rest = Math.floor(rest / 128);
      }
      while (rest >= 0x80) {
        buffer[at++] = (rest & 0x7f) | 0x80;
        rest >>>= 7;
      }
      buffer[at++] = rest;
    }
    this.length = at;
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
