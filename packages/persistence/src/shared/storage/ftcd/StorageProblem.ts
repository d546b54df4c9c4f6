/** Stable codes of what `health()` / `problems()` report about the files of a store. */
export type StorageProblemCode =
  /** A block failed its CRC (or its header is invalid) with valid data after it: the file is quarantined. */
  | 'FTCD_CORRUPT_BLOCK'
  /** The file header is unreadable (bad magic, version, CRC): the file is quarantined and not read. */
  | 'FTCD_BAD_FILE_HEADER'
  /** The file header names another series or partition than its path. */
  | 'FTCD_IDENTITY_MISMATCH'
  /** A block has a valid CRC but does not decode, or holds candles outside its partition. */
  | 'FTCD_BAD_BLOCK_CONTENT'
  /** A `.ftcd` file whose name is not a partition of its timeframe: ignored. */
  | 'FTCD_UNEXPECTED_FILE'
  /** A file could not be read at all (I/O error). */
  | 'FTCD_IO_ERROR'
  /** A background compaction failed (e.g. disk full); the original files are intact and still used. */
  | 'FTCD_COMPACTION_FAILED';

export interface StorageProblem {
  code: StorageProblemCode;
  path: string;
  /** File offset concerned, when there is one. */
  offset?: number;
  message: string;
}

/**
 * A repair the writer made: on open, a torn tail (never acknowledged) cut off
 * or a leftover temporary file removed; after a failed write or fsync, the
 * bytes of that append (never acknowledged) cut off before the next write.
 */
export interface StorageRepair {
  kind: 'torn-tail-truncated' | 'temporary-file-removed' | 'undurable-tail-discarded';
  path: string;
  /** New file size (for a truncation). */
  offset?: number;
  /** Bytes removed. */
  bytes: number;
}

export interface StorageHealth {
  status: 'ok' | 'degraded';
  problems: StorageProblem[];
  repairs: StorageRepair[];
}
