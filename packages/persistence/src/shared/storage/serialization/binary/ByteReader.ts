import { FtcdDecodeError } from '../../errors/StorageErrors';

/** Reads what `ByteWriter` wrote; every read is bounds-checked and fails with `FtcdDecodeError`. */
export class ByteReader {
  private readonly view: DataView;
  offset: number;

  constructor(
    /** Exposed (read-only) so hot loops can decode runs of varints without a call per value. */
    readonly bytes: Uint8Array,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.offset = start;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(count: number): void {
    if (this.offset + count > this.end) throw new FtcdDecodeError('Block payload ends early');
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  f64(): number {
    this.need(8);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  slice(length: number): Uint8Array {
    this.need(length);
    const part = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return part;
  }

  varint(): number {
    const offset = this.offset;
    if (offset < this.end) {
      const byte = this.bytes[offset]!;
      if (byte < 0x80) {
        this.offset = offset + 1;
        return byte;
      }
    }
    let result = 0;
    let multiplier = 1;
    for (let index = 0; index < 8; index += 1) {
      if (this.offset >= this.end) throw new FtcdDecodeError('Block payload ends inside a varint');
      const byte = this.bytes[this.offset++]!;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new FtcdDecodeError('Varint longer than 8 bytes');
  }
}
