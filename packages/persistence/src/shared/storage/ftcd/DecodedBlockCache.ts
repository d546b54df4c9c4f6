import type { DecodedBlock } from '../serialization/binary/BinarySerializer';
import type { BlockLocation } from './PartitionIndex';

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
    if (decoded.byteSize > this.maxBytes || this.entries.has(block)) return;
    this.entries.set(block, decoded);
    this.bytes += decoded.byteSize;
    while (this.bytes > this.maxBytes) {
      const [oldest, evicted] = this.entries.entries().next().value as [BlockLocation, DecodedBlock];
      this.entries.delete(oldest);
      this.bytes -= evicted.byteSize;
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
