/**
 * Named moments inside a store's write path (and one of a read-only store's
 * refresh), reported synchronously to an
 * optional `probe` for tests and tracing (the chaos suite SIGKILLs the process
 * exactly there). Production never sets one.
 *
 * - `block:before-write`: a `.ftcd` append is about to write `chunks` at `position`
 *   (nothing of them is on disk yet).
 * - `block:written`: the chunks are written (in the page cache), not yet fdatasync'd.
 *   Reported only for appends to existing files: a new file is written as
 *   `{path}.tmp`, fsynced and renamed in one step.
 * - `block:synced`: durable; the in-memory index is not updated yet and no save of
 *   this cycle has resolved.
 * - `compact:synced`: a compacted copy of a partition is written and fsync'd as
 *   `{path}.tmp`; the original file is untouched.
 * - `compact:renamed`: the copy has replaced the original and the in-memory
 *   index follows it; the directory is not fsync'd yet.
 * - `repair:synced`: the repaired copy of a quarantined partition is written and
 *   fsync'd as `{path}.tmp`, and the damaged original is kept as its
 *   `.damaged-*` copy; the file at the path is still the original.
 * - `repair:renamed`: the repaired copy has replaced the original and the
 *   in-memory index follows it; the directory is not fsync'd yet.
 * - `refresh:read` (read-only stores): the bytes another process appended to a
 *   partition file since the last look are read, not yet added to the index.
 * - `sqlite:before-commit`: a group's rows are inserted inside the open transaction,
 *   COMMIT not yet run.
 * - `sqlite:committed`: COMMIT returned (synchronous=FULL: durable); no save of the
 *   group has resolved yet.
 */
export type StorageProbePoint =
  | 'block:before-write'
  | 'block:written'
  | 'block:synced'
  | 'compact:synced'
  | 'compact:renamed'
  | 'repair:synced'
  | 'repair:renamed'
  | 'refresh:read'
  | 'sqlite:before-commit'
  | 'sqlite:committed';

export interface BlockProbeDetail {
  /** The partition file (`creating`: its content goes to `{path}.tmp` first). */
  readonly path: string;
  /** Byte offset the chunks are written at. */
  readonly position: number;
  /** The bytes of this append, in order (file header first when `creating`). Do not modify. */
  readonly chunks: readonly Uint8Array[];
  /** True when the append creates the file (written as `{path}.tmp`, then renamed). */
  readonly creating: boolean;
}

export interface SqliteProbeDetail {
  /** The database file. */
  readonly path: string;
  /** Candles in the group's transaction. */
  readonly candles: number;
}

export interface CompactionProbeDetail {
  /** The partition file being compacted (or repaired). */
  readonly path: string;
  /** Its size before and after compaction. */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
}

export interface RefreshProbeDetail {
  /** The partition file a read-only store looked at again. */
  readonly path: string;
  /** Offset of the first appended byte read (the end of what the store knew). */
  readonly position: number;
  /** How many appended bytes were read. */
  readonly bytes: number;
}

export type StorageProbeDetail =
  | BlockProbeDetail
  | SqliteProbeDetail
  | CompactionProbeDetail
  | RefreshProbeDetail;

/**
 * Called synchronously at each point. An exception it throws propagates as a
 * write failure of that cycle: the saves reject and nothing is reported durable
 * (the store recovers as from any failed write).
 */
export type StorageProbe = (point: StorageProbePoint, detail: StorageProbeDetail) => void;
