import type { Socket } from 'node:net';
import { FrameTooLargeError } from '../domain/errors';
import { FRAME_HEADER_BYTES } from '../domain/FrameDecoder';

const POOL_BYTES = 64 * 1024;

/**
 * Encodes frames straight into a pooled buffer and hands everything written
 * during one turn of the event loop to the socket in a single write (one
 * syscall, no per-frame allocation or concat). Flushes on setImmediate, i.e.
 * right after the current I/O callbacks, or at once when the pool is full.
 */
export class FrameWriter {
  private pool = Buffer.allocUnsafe(POOL_BYTES);
  private used = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private readonly flushNow = (): void => {
    this.scheduled = undefined;
    this.flush();
  };

  constructor(
    private readonly socket: Socket,
    private readonly maxFrameBytes = 0xffffffff,
  ) {}

  /** Bytes accepted but not yet taken by the kernel. */
  get pendingBytes(): number {
    return this.used + this.socket.writableLength;
  }

  /**
   * Serialises `value` as one frame. Throws FrameTooLargeError (writing
   * nothing) when its JSON exceeds maxFrameBytes.
   */
  writeJson(value: unknown): void {
    if (this.socket.destroyed) return;
    const json = JSON.stringify(value);
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8.
    const worstCase = FRAME_HEADER_BYTES + json.length * 3;
    if (worstCase > this.pool.length - this.used) {
      this.flush();
      if (worstCase > this.pool.length) {
        const length = Buffer.byteLength(json, 'utf8');
        if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
        const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
        frame.writeUInt32BE(length, 0);
        frame.write(json, FRAME_HEADER_BYTES, 'utf8');
        this.socket.write(frame);
        return;
      }
    }
    const length = this.pool.write(json, this.used + FRAME_HEADER_BYTES, 'utf8');
    if (length > this.maxFrameBytes) throw new FrameTooLargeError(length, this.maxFrameBytes);
    this.pool.writeUInt32BE(length, this.used);
    this.used += FRAME_HEADER_BYTES + length;
    this.schedule();
  }

  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.used === 0) return;
    const data = this.pool.subarray(0, this.used);
    // The socket may keep `data` until written, so the pool moves on to fresh memory.
    this.pool =
      this.pool.length - this.used >= 16 * 1024
        ? this.pool.subarray(this.used)
        : Buffer.allocUnsafe(POOL_BYTES);
    this.used = 0;
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Drops anything not yet written (the socket is gone). */
  discard(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.used = 0;
  }

  private schedule(): void {
    if (this.scheduled === undefined) this.scheduled = setImmediate(this.flushNow);
  }
}
