import type { Socket } from 'node:net';

/**
 * Coalesces frames written during one turn of the event loop into a single
 * socket write (one syscall instead of one per frame). Flushes on setImmediate,
 * i.e. right after the current I/O callbacks, or at once past `flushThreshold`.
 */
export class FrameWriter {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private scheduled: NodeJS.Immediate | undefined;
  private readonly flushNow = (): void => {
    this.scheduled = undefined;
    this.flush();
  };

  constructor(
    private readonly socket: Socket,
    private readonly flushThreshold = 64 * 1024,
  ) {}

  /** Bytes accepted but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.bytes + this.socket.writableLength;
  }

  write(frame: Buffer): void {
    if (this.socket.destroyed) return;
    this.chunks.push(frame);
    this.bytes += frame.length;
    if (this.bytes >= this.flushThreshold) this.flush();
    else if (this.scheduled === undefined) this.scheduled = setImmediate(this.flushNow);
  }

  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.bytes === 0) return;
    const data =
      this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    this.bytes = 0;
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Drops anything not yet written (the socket is gone). */
  discard(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.chunks = [];
    this.bytes = 0;
  }
}
