import type { DecodedBlock } from '../serialization/binary/BinarySerializer';
import type { BlockLocation } from './PartitionIndex';

/**
 * Heap a decoded block holds beyond its `byteSize` (which counts the column
 * bytes): ~36 typed-array objects and their records, measured at ~7.2 KiB per
 * block with `--expose-gc` (heapUsed + arrayBuffers per decoded 50-bin block:
 * 10.3 KB for 1 candle against a byteSize of 3.5 KB, 13.4 KB against 6.7 KB
 * for 2). Live updates make blocks of 1 or 2 candles, so without it a 32 MiB
 * budget held up to ~3 times that.
 */
export const DECODED_BLOCK_OVERHEAD_BYTES = 7_500;

/** What one entry costs the budget. */
function costOf(decoded: { readonly byteSize: number }): number {
  return decoded.byteSize + DECODED_BLOCK_OVERHEAD_BYTES;
}

/**
 * Least-recently-used decoded blocks, bounded by their bytes, so hot ranges
 * are served without reading or decoding. Keyed by the index's own
 * `BlockLocation` object: blocks are immutable once written, an append or a
 * re-scan creates new locations, so an entry can never be served for a block
 * it does not hold (stale entries just age out). An entry was CRC-checked when
 * it was read.
 */
export class DecodedBlockCache {
  private readonly entries = new Map<BlockLocation, DecodedBlock>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(block: BlockLocation): DecodedBlock | undefined {
    const decoded = this.entries.get(block);
    if (decoded) {
      // Map order is insertion order: re-inserting marks it most recent.
      this.entries.delete(block);
      this.entries.set(block, decoded);
    }
    return decoded;
  }

  set(block: BlockLocation, decoded: DecodedBlock): void {
    if (costOf(decoded) > this.maxBytes || this.entries.has(block)) return;
    this.entries.set(block, decoded);
    this.bytes += costOf(decoded);
    while (this.bytes > this.maxBytes) {
      const [oldest, evicted] = this.entries.entries().next().value as [BlockLocation, DecodedBlock];
      this.entries.delete(oldest);
      this.bytes -= costOf(evicted);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
