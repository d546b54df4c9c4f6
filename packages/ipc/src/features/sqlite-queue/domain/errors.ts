import { FlowTraceIpcError } from '../../../shared/errors';

export class QueueMessageValidationError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_QUEUE_MESSAGE_INVALID';
  readonly retryable = false;
  constructor(readonly problems: readonly string[]) {
    super(`Invalid queue message: ${problems.join('; ')}`);
  }
}

export class QueueClosedError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_QUEUE_CLOSED';
  readonly retryable = false;
}
