import { FlowTracePersistenceError } from '../../../features/candlePersistence/domain/errors/FlowTracePersistenceError';

export class UnknownMessageTypeError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_UNKNOWN_MESSAGE_TYPE';
  readonly retryable = false;
  constructor(readonly messageType: string) {
    // Exact text of the original platform's reply.
    super(`Unknown message type: ${messageType}`);
  }
}

export class InvalidBatchPayloadError extends FlowTracePersistenceError {
  readonly code = 'FLOWTRACE_INVALID_BATCH';
  readonly retryable = false;
}
