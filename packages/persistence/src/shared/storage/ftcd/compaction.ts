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

/**
 * Whether rewriting the file would pay: it holds more than twice the blocks
 * its candles need (live saves write a block per commit cycle; re-saves leave
 * superseded versions behind). Blocks in the file are counted by sequence
 * number, dead ones included.
 */
export function isFragmented(file: PartitionFile, maxCandlesPerBlock: number): boolean {
  if (!file.exists || file.quarantine || file.suspect || file.creating) return false;
  const candles = file.index.size;
  if (candles === 0) return false;
  const needed = Math.ceil(candles / maxCandlesPerBlock);
  return file.nextSequence > 2 * needed;
}
