export { FlowTraceIpcError, InvalidOptionsError } from '../../shared/errors';
export {
  QueueClosedError,
  QueueMessageValidationError,
  QueueReadOnlyError,
  QueueUnavailableError,
} from './domain/errors';
export { QUEUE_POLL_MESSAGE_TYPE, type QueuePollReply } from './domain/queuePollMessage';
export { LATEST_SCHEMA_VERSION, MIGRATIONS_TABLE } from './domain/schema';
export type {
  DeadLetter,
  MarkFailedResult,
  QueueConfig,
  QueueDurability,
  QueuedMessage,
  QueueMessage,
  QueueStats,
} from './domain/types';
export { ProcessedState } from './domain/types';
export { queueMessageSchema, validateQueueMessage } from './domain/validation';
export { type ListedDeadLetter, SQLiteQueue } from './infrastructure/SQLiteQueue';
export type {
  MessageOutcome,
  PollerStats,
  SQLiteQueuePollerConfig,
} from './infrastructure/SQLiteQueuePoller';
export { SQLiteQueuePoller } from './infrastructure/SQLiteQueuePoller';
