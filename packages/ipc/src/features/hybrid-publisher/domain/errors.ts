import { FlowTraceIpcError } from '../../../shared/errors';
import type { IPCResponse } from '../../../shared/types';

/** The daemon refused the message for good (e.g. validation); it is not queued. */
export class PublishRejectedError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_PUBLISH_REJECTED';
  readonly retryable = false;
  /** The `code` of the daemon's error response, when it had one. */
  readonly remoteCode: string | undefined;
  constructor(readonly response: IPCResponse) {
    super(`Daemon rejected message ${response.id}: ${response.error ?? 'no reason given'}`);
    this.remoteCode = response.code;
  }
}

export class PublisherClosedError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_PUBLISHER_CLOSED';
  readonly retryable = false;
}
