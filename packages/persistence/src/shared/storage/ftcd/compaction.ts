import type { PartitionFile } from './PartitionFile';

/** What `compact()` did. */
export interface CompactionReport {
  /** Partition files replaced by their compacted copy. */
  partitions: number;
  /** Candles in them (each once: the latest version). */
  candles: number;
  /** Their bytes before and after. */
  bytesBefore: number;
  bytesAfter: number;
}

export interface CompactOptions {
  /**
   * Rewrite every sealed partition holding more blocks than its candles need,
   * not only those holding more than twice as many (the default, which is
   * what pays for itself).
   */
  force?: boolean;
}

/**
 * Whether rewriting the file would pay. By default: its blocks hold on
 * average under a quarter of `maxCandlesPerBlock` candles, and there are more
 * than twice the blocks its candles need. Live saves leave a block per commit
 * cycle (often one candle each); re-saves leave superseded versions behind.
 * Blocks are counted by sequence number, dead ones included. With `force`:
 * any more blocks than needed.
 */
export function isFragmented(file: PartitionFile, maxCandlesPerBlock: number, force = false): boolean {
  if (!file.exists || file.quarantine || file.suspect || file.creating) return false;
  const candles = file.index.size;
  if (candles === 0) return false;
  const blocks = file.nextSequence;
  const needed = Math.ceil(candles / maxCandlesPerBlock);
  if (force) return blocks > needed;
  return blocks > 2 * needed && candles / blocks < maxCandlesPerBlock / 4;
}
