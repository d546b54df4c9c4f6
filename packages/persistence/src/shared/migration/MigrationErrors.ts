import { FlowTracePersistenceError } from '../../features/candlePersistence/domain/errors/FlowTracePersistenceError';

/** Migration, validation or report options are invalid. */
export class InvalidMigrationConfigError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_MIGRATION_CONFIG';
  readonly retryable = false;
}

/** The checkpoint file is unreadable, malformed, or belongs to another migration. */
export class MigrationCheckpointError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_MIGRATION_CHECKPOINT';
  readonly retryable = false;
}

/**
 * The source broke the order a resumable migration relies on: within a series,
 * open times must strictly increase (CandleStoragePort.iterate guarantees it).
 */
export class MigrationSourceOrderError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_MIGRATION_SOURCE_ORDER';
  readonly retryable = false;
}

/** A legacy file could not be read as an original-platform `.ftcd` file. */
export class LegacyImportError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_LEGACY_IMPORT';
  readonly retryable = false;
}

/** `migrate()` was called again while this migrator was still running. */
export class MigrationAlreadyRunningError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_MIGRATION_RUNNING';
  readonly retryable = true;
  constructor() {
    super('This migrator is already running; wait for migrate() to settle');
  }
}
