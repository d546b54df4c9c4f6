import type { IPCMessage } from '../../../shared/types';

/** Fire-and-forget handler (seed API): its result is not sent back. */
export type MessageHandler = (message: IPCMessage) => void | Promise<void>;

/** What a request handler learns about the request besides the message. */
export interface RequestContext {
  /** Server-unique id of the connection the request arrived on. */
  readonly connectionId: number;
  /** Milliseconds since epoch when the frame was decoded. */
  readonly receivedAt: number;
}

/**
 * Request handler: the resolved value becomes `data` of a success response; a
 * thrown error becomes `success:false` with its message, and `code`/`retryable`
 * taken from the error when present (defaults FLOWTRACE_HANDLER_FAILED, retryable).
 */
export type RequestHandler = (message: IPCMessage, context: RequestContext) => unknown | Promise<unknown>;

export interface UnixSocketServerConfig {
  socketPath: string;
  /** Simultaneous connections; excess connections are closed at once. Default 100. */
  maxConnections?: number;
  /** Largest accepted frame body in bytes. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Mode of the socket file. Default 0o600 (owner only); e.g. 0o660 for a group. */
  socketMode?: number;
  /** Requests in flight on one connection before it is paused. Default 256. */
  maxInFlightPerConnection?: number;
  /** A connection with no traffic and nothing in flight for this long is closed. Default 300000; 0 disables. */
  idleTimeoutMs?: number;
  /** A frame that started but did not complete within this long closes the connection. Default 10000. */
  partialFrameTimeoutMs?: number;
  /**
   * Replies queued for a peer that does not read them, in bytes, beyond which
   * further replies are dropped (and counted) instead of buffered. Default 4 MiB.
   */
  maxPendingReplyBytes?: number;
  /** How long stop() waits for in-flight requests before closing connections. Default 5000. */
  stopTimeoutMs?: number;
}

export interface UnixSocketServerStats {
  listening: boolean;
  connectionCount: number;
  acceptedConnections: number;
  rejectedConnections: number;
  framesReceived: number;
  requestsInFlight: number;
  responsesSent: number;
  responsesDropped: number;
  protocolErrors: number;
  handlerErrors: number;
  pausedConnections: number;
  timedOutConnections: number;
}

export interface UnixSocketClientConfig {
  socketPath: string;
  /** connect() gives up after this long. Default 5000; at most 2^31 − 1 (setTimeout's limit). */
  connectTimeout?: number;
  /** Default timeout of request(). Default 5000; at most 2^31 − 1 (setTimeout's limit). */
  requestTimeoutMs?: number;
  /** Reconnect after an unexpected disconnect. Default true. */
  autoReconnect?: boolean;
  /** First reconnect delay. Default 50; at most 2^31 − 1. */
  reconnectBaseDelayMs?: number;
  /** Cap of the exponential backoff. Default 5000; at most 2^31 − 1. */
  reconnectMaxDelayMs?: number;
  /** Largest response frame accepted. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Buffered bytes beyond which send() waits for the socket to drain. Default 1 MiB. */
  writeHighWaterBytes?: number;
}

export interface RequestOptions {
  /**
   * This request's timeout instead of `requestTimeoutMs`: a number of ms > 0
   * and at most 2^31 − 1 (setTimeout's limit); any other value rejects the
   * request with InvalidOptionsError, nothing sent.
   */
  timeoutMs?: number;
}

export interface UnixSocketClientStats {
  connected: boolean;
  framesSent: number;
  /** Response frames read (those without id included). */
  responsesReceived: number;
  /**
   * Responses with an empty id (`""`), which no request can be matched to:
   * the server could not read the request's id (FLOWTRACE_FRAME_TOO_LARGE
   * before it closes the connection, or a non-FlowTrace server's reply). The
   * connection's last error one becomes the cause of its disconnect
   * (ResponseWithoutIdError). Late replies to timed-out requests are not counted.
   */
  responsesWithoutId: number;
  requestsInFlight: number;
  reconnects: number;
  bufferedBytes: number;
}
