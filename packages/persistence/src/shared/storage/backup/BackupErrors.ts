import { FlowTracePersistenceError } from '../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';

/** A backup destination that would copy the store into itself (or the store into its own backup). */
export class InvalidBackupTargetError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_BACKUP_TARGET';
  readonly retryable = false;
}
