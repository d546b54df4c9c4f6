import { FlowTraceIpcError } from '../../../shared/errors';
import type { IPCResponse } from '../../../shared/types';
import { BIND_NAME, MAX_SOCKET_PATH_BYTES } from './socketPath';

/**
 * Stable error codes of the wire protocol and of the socket client/server.
 * Documented in docs/ipc-protocol.md; never rename a value.
 */
export const IpcErrorCode = {
  FrameTooLarge: 'FLOWTRACE_FRAME_TOO_LARGE',
  InvalidJson: 'FLOWTRACE_INVALID_JSON',
  InvalidEnvelope: 'FLOWTRACE_INVALID_ENVELOPE',
  NoHandler: 'FLOWTRACE_NO_HANDLER',
  HandlerFailed: 'FLOWTRACE_HANDLER_FAILED',
  ServerStopping: 'FLOWTRACE_SERVER_STOPPING',
  RequestTimeout: 'FLOWTRACE_REQUEST_TIMEOUT',
  Disconnected: 'FLOWTRACE_DISCONNECTED',
  NotConnected: 'FLOWTRACE_NOT_CONNECTED',
  ConnectTimeout: 'FLOWTRACE_CONNECT_TIMEOUT',
  ConnectFailed: 'FLOWTRACE_CONNECT_FAILED',
  ClientClosed: 'FLOWTRACE_CLIENT_CLOSED',
  SocketInUse: 'FLOWTRACE_SOCKET_IN_USE',
  SocketPathNotSocket: 'FLOWTRACE_SOCKET_PATH_NOT_SOCKET',
  SocketPathTooLong: 'FLOWTRACE_SOCKET_PATH_TOO_LONG',
  SocketDirectoryMissing: 'FLOWTRACE_SOCKET_DIRECTORY_MISSING',
  ResponseWithoutId: 'FLOWTRACE_RESPONSE_WITHOUT_ID',
} as const;
export type IpcErrorCode = (typeof IpcErrorCode)[keyof typeof IpcErrorCode];

export class FrameTooLargeError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.FrameTooLarge;
  readonly retryable = false;
  constructor(
    readonly declaredBytes: number,
    readonly maxFrameBytes: number,
  ) {
    super(`Frame of ${declaredBytes} bytes exceeds the maximum of ${maxFrameBytes} bytes`);
  }
}

export class InvalidJsonError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.InvalidJson;
  readonly retryable = false;
}

export class InvalidEnvelopeError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.InvalidEnvelope;
  readonly retryable = false;
  constructor(
    readonly problems: readonly string[],
    readonly requestId: string,
  ) {
    super(`Invalid message envelope: ${problems.join('; ')}`);
  }
}

export class RequestTimeoutError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.RequestTimeout;
  readonly retryable = true;
  constructor(
    readonly requestId: string,
    readonly timeoutMs: number,
  ) {
    super(`Request ${requestId} got no response within ${timeoutMs} ms`);
  }
}

/**
 * An error response with an empty id (`""`): the server could not tie it to a
 * request, e.g. `FLOWTRACE_FRAME_TOO_LARGE`, written just before it closes the
 * connection. The client keeps the connection's last one and gives it as the
 * cause of the disconnect that follows (DisconnectedError.cause, the
 * `disconnected` event), so the server's reason is not lost. `remoteCode` is
 * the response's `code`; `retryable` is the response's (true when it has none,
 * as for any response), `cause` the socket error of that disconnect, if any.
 */
export class ResponseWithoutIdError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.ResponseWithoutId;
  readonly retryable: boolean;
  readonly remoteCode: string | undefined;
  constructor(
    readonly response: IPCResponse,
    options?: { cause?: unknown },
  ) {
    super(
      `Server sent an error response without a request id: ${response.code ?? 'no code'}: ${response.error ?? 'no reason given'}`,
      options,
    );
    this.remoteCode = response.code;
    this.retryable = response.retryable !== false;
  }
}

export class DisconnectedError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.Disconnected;
  readonly retryable = true;
}

export class NotConnectedError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.NotConnected;
  readonly retryable = true;
}

export class ConnectTimeoutError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.ConnectTimeout;
  readonly retryable = true;
}

export class ConnectFailedError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.ConnectFailed;
  readonly retryable = true;
}

export class ClientClosedError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.ClientClosed;
  readonly retryable = false;
}

export class SocketInUseError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.SocketInUse;
  readonly retryable = false;
}

export class SocketPathNotSocketError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.SocketPathNotSocket;
  readonly retryable = false;
}

/**
 * The directory of `socketPath` does not exist. The server binds through a
 * private directory it creates there first (see listenOnPrivatePath), whose
 * creation would otherwise fail with an ENOENT naming that internal path;
 * nothing was created. `cause` is that ENOENT.
 */
export class SocketDirectoryMissingError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.SocketDirectoryMissing;
  readonly retryable = false;
  constructor(
    readonly socketPath: string,
    readonly directory: string,
    options?: { cause?: unknown },
  ) {
    super(`socket directory does not exist: ${directory} (socketPath ${socketPath})`, options);
  }
}

/**
 * The path (or the temporary path the server binds through first) does not fit
 * in `sun_path`; thrown before anything is created, since libuv would
 * otherwise bind a silently truncated path.
 */
export class SocketPathTooLongError extends FlowTraceIpcError {
  readonly code = IpcErrorCode.SocketPathTooLong;
  readonly retryable = false;
  constructor(
    readonly socketPath: string,
    readonly pathBytes: number,
    readonly maxBytes: number,
  ) {
    const why =
      maxBytes < MAX_SOCKET_PATH_BYTES
        ? ` for a file name this short, as the server binds through <dir>/.-XXXXXX/${BIND_NAME} first`
        : '';
    super(`socket path too long (${pathBytes} bytes, max ${maxBytes}${why}): ${socketPath}`);
  }
}
