import { FlowTracePersistenceError } from '../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';

/** The file is a SQLite database but not a FlowTrace FlatBuffer candle database of a version we read. */
export class SqliteFormatError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_SQLITE_FORMAT';
  readonly retryable = false;
}

/** A legacy database has neither a `candles` nor a `{exchange}_candles` table. */
export class LegacySqliteFormatError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_LEGACY_SQLITE_FORMAT';
  readonly retryable = false;
}

/**
 * A WAL database cannot be read here without its `-wal` and `-shm` files, which are missing (no
 * connection has it open: the daemon is stopped) and cannot be created: no write access to the
 * directory. Retryable: it reads once a writer has it open (the files then exist) or with access.
 */
export class SqliteWalFilesUnavailableError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_SQLITE_WAL_FILES_UNAVAILABLE';
  readonly retryable = true;
}
