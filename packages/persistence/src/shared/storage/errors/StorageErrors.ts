import { FlowTracePersistenceError } from '../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';

/** The store was closed: every later call rejects with this. */
export class StorageClosedError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_STORAGE_CLOSED';
  readonly retryable = false;
  constructor(what = 'candle store') {
    super(`The ${what} is closed`);
  }
}

/**
 * A candle's key (exchange, symbol, timeframe, open time) cannot be stored; also
 * a read (`findBySymbol`, `findLatest`, `findRange`, an `iterate()` filter) that
 * names a series no store can hold (an unsafe exchange or symbol name, an
 * unknown timeframe such as `1M`), so a typo is not mistaken for "no data".
 */
export class InvalidCandleKeyError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_CANDLE_KEY';
  readonly retryable = false;
}

/** Query or iteration options are invalid. */
export class InvalidQueryError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_QUERY';
  readonly retryable = false;
}

/** A computed path would leave the store's base directory. */
export class PathTraversalError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_PATH_TRAVERSAL';
  readonly retryable = false;
}

/** Storage options are invalid. */
export class InvalidStorageConfigError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_STORAGE_CONFIG';
  readonly retryable = false;
}

/** A write was attempted on a store opened read-only. */
export class StorageReadOnlyError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_STORAGE_READ_ONLY';
  readonly retryable = false;
  constructor() {
    super('The candle store was opened read-only');
  }
}

/** A read-only store was asked for at a path that is not a directory (nothing to read). */
/**
 * The directory holds a store of another layout than the one asked for (e.g.
 * `.ftcd` files opened with `useDatabase: true`): writing would start a second
 * store beside the first and split the data; reading would find nothing.
 */
export class StoreKindMismatchError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_STORE_KIND_MISMATCH';
  readonly retryable = false;
}

export class StoreNotFoundError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_STORE_NOT_FOUND';
  readonly retryable = false;
}

/** Another live process holds the store's writer lock. */
export class StorageLockedError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_STORAGE_LOCKED';
  readonly retryable = true;
}

/**
 * A write or fsync failed: nothing of that commit cycle is reported durable.
 * The file is re-verified from disk before it accepts writes again.
 */
export class StorageWriteError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_STORAGE_WRITE_FAILED';
  readonly retryable = true;
}

/**
 * The partition file is quarantined (corruption in the middle): its valid
 * blocks stay readable, writes are refused. A `saveMany` whose candles fall
 * partly into quarantined partitions saves the others (durably, like every save)
 * and rejects with this error: `refusedIndexes` are the positions, in the
 * call's input, of the candles NOT saved, and `saved` counts the others.
 * Saving them again is harmless (an identical candle is a no-op).
 */
export class PartitionQuarantinedError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_FTCD_QUARANTINED';
  readonly retryable = false;
  /** Positions (in the save's input) of the candles refused; empty when not known. */
  readonly refusedIndexes: readonly number[];
  /** What the call saved of its other candles. */
  readonly saved: { readonly written: number; readonly unchanged: number };
  /** The quarantined partition file (the first one, when several refused candles). */
  readonly path: string | undefined;

  constructor(
    message: string,
    details: {
      refusedIndexes?: readonly number[];
      saved?: { readonly written: number; readonly unchanged: number };
      path?: string;
    } = {},
  ) {
    super(message);
    this.path = details.path;
    this.refusedIndexes = Object.freeze([...(details.refusedIndexes ?? [])]);
    this.saved = Object.freeze({ ...(details.saved ?? { written: 0, unchanged: 0 }) });
  }
}

/**
 * A read kept finding its partition file replaced by a compacted copy (each
 * replacement makes it start over; this is after several in a row). Retry.
 */
export class PartitionReplacedError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_FTCD_PARTITION_REPLACED';
  readonly retryable = true;

  constructor(path: string) {
    super(`Partition ${path} was replaced by its compacted copy during the read`);
  }
}

/** A `.ftcd` file is not readable at all (bad magic, unsupported version, bad file header). */
export class FtcdFormatError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_FTCD_FORMAT';
  readonly retryable = false;
}

/** A block failed to decode although its CRC was valid: a codec bug or an unknown codec id. */
export class FtcdDecodeError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_FTCD_DECODE';
  readonly retryable = false;
}

/** A candle field has a type no adapter can store (e.g. a price that is not a number). */
export class CandleNotStorableError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_CANDLE_NOT_STORABLE';
  readonly retryable = false;
}

/** A block failed its CRC when read (the file changed on disk after it was opened). */
export class FtcdCorruptBlockError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_FTCD_CORRUPT_BLOCK';
  readonly retryable = false;
}
