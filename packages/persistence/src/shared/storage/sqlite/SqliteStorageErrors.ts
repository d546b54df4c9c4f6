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
