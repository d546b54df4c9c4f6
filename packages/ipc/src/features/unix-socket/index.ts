export { FlowTraceIpcError, InvalidOptionsError } from '../../shared/errors';
export type { IPCMessage, IPCResponse, OutgoingMessage } from '../../shared/types';
export { parseRequestEnvelope, parseResponseEnvelope } from './domain/envelope';
export {
  ClientClosedError,
  ConnectFailedError,
  ConnectTimeoutError,
  DisconnectedError,
  FrameTooLargeError,
  InvalidEnvelopeError,
  InvalidJsonError,
  IpcErrorCode,
  NotConnectedError,
  RequestTimeoutError,
  ResponseWithoutIdError,
  SocketDirectoryMissingError,
  SocketInUseError,
  SocketPathNotSocketError,
  SocketPathTooLongError,
} from './domain/errors';
export { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, FrameDecoder } from './domain/FrameDecoder';
export { encodeFrame, frameBytes } from './domain/frameEncoding';
export { MAX_SOCKET_PATH_BYTES, maxSocketPathBytes } from './domain/socketPath';
export type {
  MessageHandler,
  RequestContext,
  RequestHandler,
  RequestOptions,
  UnixSocketClientConfig,
  UnixSocketClientStats,
  UnixSocketServerConfig,
  UnixSocketServerStats,
} from './domain/types';
export type { UnixSocketClientEvents } from './infrastructure/UnixSocketClient';
export {
  completeMessage,
  DuplicateRequestIdError,
  UnixSocketClient,
} from './infrastructure/UnixSocketClient';
export { UnixSocketServer } from './infrastructure/UnixSocketServer';
