import type { FileHandlePool } from '../file/FileHandlePool';
import type { BlockLocation } from './PartitionIndex';

/**
 * Reads blocks of one file through a read-ahead window: one read per window
 * instead of one per block. Each async read is a thread-pool round trip,
 * which on a busy machine costs far more than the bytes themselves.
 */
export class BlockFetcher {
  private windowStart = 0;
  private window: Uint8Array | undefined;

  constructor(
    private readonly pool: FileHandlePool,
    private readonly path: string,
    /** File offset where valid data ends (never read past it). */
    private readonly end: number,
    private readonly windowBytes: number,
  ) {}

  /** The header + payload bytes of `block` (a view into the window, valid until the next call). */
  async bytesOf(block: BlockLocation): Promise<Uint8Array> {
    const start = block.offset;
    const stop = block.offset + block.totalLength;
    if (!this.window || start < this.windowStart || stop > this.windowStart + this.window.length) {
      const length = Math.max(block.totalLength, Math.min(this.windowBytes, this.end - start));
      const window = new Uint8Array(length);
      const { bytesRead } = await this.pool.use(this.path, (handle) => handle.read(window, 0, length, start));
      this.window = window.subarray(0, bytesRead);
      this.windowStart = start;
    }
    return this.window.subarray(start - this.windowStart, stop - this.windowStart);
  }
}
