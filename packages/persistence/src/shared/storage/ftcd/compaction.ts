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
 * Whether rewriting the file would pay: it holds more than twice the blocks
 * its candles need (live saves write a block per commit cycle; re-saves leave
 * superseded versions behind), or with `force` any more than they need.
 * Blocks in the file are counted by sequence number, dead ones included.
 */
export function isFragmented(file: PartitionFile, maxCandlesPerBlock: number, force = false): boolean {
  if (!file.exists || file.quarantine || file.suspect || file.creating) return false;
  const candles = file.index.size;
  if (candles === 0) return false;
  const needed = Math.ceil(candles / maxCandlesPerBlock);
  return file.nextSequence > (force ? needed : 2 * needed);
}
