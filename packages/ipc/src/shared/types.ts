/**
 * The request envelope of the FlowTrace wire protocol, identical to the original
 * platform's: `{ id, type, payload, timestamp }` (see docs/ipc-protocol.md).
 */
export interface IPCMessage<TPayload = unknown> {
  /** Non-empty, unique per message; responses and the queue key on it. */
  id: string;
  /** Non-empty message type, e.g. `candle:complete`. */
  type: string;
  payload: TPayload;
  /** Epoch milliseconds, > 0. */
  timestamp: number;
}

/** A message before it is sent: `id` and `timestamp` are filled in when missing. */
export interface OutgoingMessage<TPayload = unknown> {
  id?: string;
  type: string;
  payload: TPayload;
  timestamp?: number;
}

/**
 * The response envelope. `id`, `success`, `data` and `error` are the original
 * platform's fields; `code` and `retryable` are FlowTrace additions that old
 * readers ignore.
 */
export interface IPCResponse<TData = unknown> {
  /** The request id, or `""` when the request's id could not be read. */
  id: string;
  success: boolean;
  data?: TData;
  error?: string;
  /** Stable machine-readable error code (only on failures). */
  code?: string;
  /** True when sending the same message again later may succeed (only on failures). */
  retryable?: boolean;
}
