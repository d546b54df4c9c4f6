import { FrameTooLargeError } from './errors';

/** Bytes of the big-endian unsigned length prefix of every frame. */
export const FRAME_HEADER_BYTES = 4;
/** Default cap on a frame body: 1 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Incremental decoder of length-prefixed frames: feed it chunks as they arrive,
 * get whole frame bodies back in order.
 *
 * Memory is bounded by construction: it never holds more than one header and one
 * body of at most `maxFrameBytes`; the body buffer is allocated only after the
 * header was checked against the limit, so a hostile `0xFFFFFFFF` prefix costs
 * nothing. A frame that lies entirely inside one chunk is delivered as a view of
 * that chunk without copying (the common case on a local socket); callers that
 * keep a body past the callback must copy it.
 *
 * After a FrameTooLargeError the stream can no longer be framed, so the decoder
 * stays failed and rethrows on every push.
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  private body: Buffer | undefined;
  private bodyFilled = 0;
  private failure: FrameTooLargeError | undefined;
  private decoded = 0;

  constructor(readonly maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > 0xffffffff) {
      throw new RangeError(`maxFrameBytes must be an integer in [0, 2^32-1], got ${maxFrameBytes}`);
    }
  }

  /** Frames completed since creation (lets callers see progress on a long frame). */
  get framesDecoded(): number {
    return this.decoded;
  }

  /** True while a started frame (header or body bytes) awaits more data. */
  get hasPartialFrame(): boolean {
    return this.headerFilled > 0 || this.body !== undefined;
  }

  /** Bytes of the current partial frame held in memory (header + body so far). */
  get bufferedBytes(): number {
    return this.headerFilled + this.bodyFilled;
  }

  /** Size of the body buffer currently allocated (0 when none); never above maxFrameBytes. */
  get allocatedBodyBytes(): number {
    return this.body?.length ?? 0;
  }

  /**
   * Consumes `chunk`, calling `onFrame` with each completed body in order.
   * Throws FrameTooLargeError (after delivering the frames before it) when a
   * length prefix exceeds the limit.
   */
  push(chunk: Uint8Array, onFrame: (body: Buffer) => void): void {
    if (this.failure) throw this.failure;
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = buf.length;
    let offset = 0;
    while (offset < end) {
      if (this.body === undefined) {
        let length: number;
        if (this.headerFilled === 0 && end - offset >= FRAME_HEADER_BYTES) {
          length = buf.readUInt32BE(offset);
          offset += FRAME_HEADER_BYTES;
        } else {
          const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, end - offset);
          buf.copy(this.header, this.headerFilled, offset, offset + take);
          this.headerFilled += take;
          offset += take;
          if (this.headerFilled < FRAME_HEADER_BYTES) return;
          this.headerFilled = 0;
          length = this.header.readUInt32BE(0);
        }
        if (length > this.maxFrameBytes) {
          this.failure = new FrameTooLargeError(length, this.maxFrameBytes);
          throw this.failure;
        }
        if (end - offset >= length) {
          this.decoded++;
          onFrame(buf.subarray(offset, offset + length));
          offset += length;
          continue;
        }
        this.body = Buffer.allocUnsafe(length);
        this.bodyFilled = 0;
      }
      const body = this.body;
      const take = Math.min(body.length - this.bodyFilled, end - offset);
      buf.copy(body, this.bodyFilled, offset, offset + take);
      this.bodyFilled += take;
      offset += take;
      if (this.bodyFilled === body.length) {
        this.body = undefined;
        this.bodyFilled = 0;
        this.decoded++;
        onFrame(body);
      }
    }
  }
}
