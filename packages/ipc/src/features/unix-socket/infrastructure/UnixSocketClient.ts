import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { FlowTraceIpcError, InvalidOptionsError } from '../../../shared/errors';
import { MAX_TIMER_MS, parseOptions } from '../../../shared/options';
import type { IPCMessage, IPCResponse, OutgoingMessage } from '../../../shared/types';
import { reconnectDelayMs } from '../domain/backoff';
import { parseResponseEnvelope } from '../domain/envelope';
import {
  ClientClosedError,
  ConnectFailedError,
  ConnectTimeoutError,
  DisconnectedError,
  InvalidEnvelopeError,
  NotConnectedError,
  RequestTimeoutError,
  ResponseWithoutIdError,
} from '../domain/errors';
import { FrameDecoder } from '../domain/FrameDecoder';
import { clientOptionsSchema, type ResolvedClientOptions } from '../domain/options';
import type { RequestOptions, UnixSocketClientConfig, UnixSocketClientStats } from '../domain/types';
import { FrameWriter } from './FrameWriter';

export class DuplicateRequestIdError extends FlowTraceIpcError {
  readonly code = 'FLOWTRACE_DUPLICATE_REQUEST_ID';
  readonly retryable = false;
}

interface PendingRequest {
  resolve(response: IPCResponse): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface UnixSocketClientEvents {
  connected: [];
  disconnected: [error: Error | undefined];
}

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Fills `id` and `timestamp` when missing, as the seed client did, and checks
 * locally what the server would refuse: a message JSON cannot carry whole (a
 * payload that is undefined, a function or a Symbol vanishes from the JSON)
 * fails here with InvalidEnvelopeError, before anything is sent. So does an
 * empty id: the protocol requires a non-empty one, and replacing it would
 * answer the caller under an id it never chose.
 */
export function completeMessage(message: OutgoingMessage): IPCMessage {
  const problems: string[] = [];
  if (message.id !== undefined && typeof message.id !== 'string')
    problems.push('id must be a string when given');
  else if (message.id === '')
    problems.push('id must be a non-empty string when given (leave it out to have one generated)');
  if (typeof message.type !== 'string' || message.type.length === 0)
    problems.push('type must be a non-empty string');
  const payload: unknown = message.payload;
  if (payload === undefined || typeof payload === 'function' || typeof payload === 'symbol')
    problems.push(
      `payload cannot be sent as JSON (${payload === undefined ? 'undefined' : `a ${typeof payload}`})`,
    );
  const timestamp: unknown = message.timestamp;
  if (
    timestamp !== undefined &&
    (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp <= 0)
  )
    problems.push('timestamp must be a number > 0 (epoch ms) when given');
  if (problems.length > 0)
    throw new InvalidEnvelopeError(problems, typeof message.id === 'string' ? message.id : '');
  return fillMessage(message);
}

/**
 * Fills `id` and `timestamp` when missing; checks nothing (callers with their
 * own checks). Only an absent (undefined) id is generated: every other one, `""`
 * included, is kept as given, for the caller's checks to refuse.
 */
export function fillMessage(message: OutgoingMessage): IPCMessage {
  return {
    id: message.id === undefined ? randomUUID() : message.id,
    type: message.type,
    payload: message.payload,
    timestamp: message.timestamp ?? Date.now(),
  };
}

/**
 * Why a per-request `timeoutMs` cannot be used, or undefined when it can (or is
 * absent: the client's `requestTimeoutMs` applies). setTimeout would fire a
 * negative, zero or NaN delay at once and one above MAX_TIMER_MS after 1 ms, so
 * the request would time out at once whatever the server does.
 */
function requestTimeoutProblem(timeoutMs: unknown): string | undefined {
  if (timeoutMs === undefined) return undefined;
  if (
    typeof timeoutMs === 'number' &&
    Number.isFinite(timeoutMs) &&
    timeoutMs > 0 &&
    timeoutMs <= MAX_TIMER_MS
  )
    return undefined;
  return `timeoutMs: must be a number of ms > 0 and <= ${MAX_TIMER_MS}; got ${String(timeoutMs)}`;
}

/** A payload JSON.stringify refuses (a BigInt, a cycle): the same typed error as the checks above. */
function encodingError(error: unknown, id: string): unknown {
  return error instanceof TypeError
    ? new InvalidEnvelopeError([`payload cannot be encoded as JSON: ${error.message}`], id)
    : error;
}

/**
 * Client of UnixSocketServer. `send()` is fire-and-forget; `request()` waits for
 * the response with the same id (many may be in flight: pipelining). Frames
 * written in one event-loop turn leave in one write. After an unexpected
 * disconnect it reconnects with capped exponential backoff and jitter (unless
 * `autoReconnect: false`) and emits `connected` / `disconnected`.
 */
export class UnixSocketClient extends EventEmitter<UnixSocketClientEvents> {
  readonly options: ResolvedClientOptions;
  private socket: Socket | undefined;
  private writer: FrameWriter | undefined;
  private connecting: Promise<void> | undefined;
  private readonly pending = new Map<string, PendingRequest>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectAttempt = 0;
  private drained: Promise<void> | undefined;
  private closedByUser = false;
  private readonly counters = { framesSent: 0, responsesReceived: 0, responsesWithoutId: 0, reconnects: 0 };

  constructor(config: UnixSocketClientConfig) {
    super();
    this.options = parseOptions('UnixSocketClient', clientOptionsSchema, config);
  }

  isConnected(): boolean {
    // `socket` is only set once connected (see adopt), so listeners of
    // 'connected' already see true.
    return this.socket !== undefined && !this.socket.destroyed;
  }

  stats(): UnixSocketClientStats {
    return {
      connected: this.isConnected(),
      ...this.counters,
      requestsInFlight: this.pending.size,
      bufferedBytes: this.bufferedBytes,
    };
  }

  /** Bytes written but not yet taken by the kernel (0 while not connected). */
  get bufferedBytes(): number {
    return this.writer?.pendingBytes ?? 0;
  }

  /** Connects once; rejects with ConnectTimeoutError / ConnectFailedError. */
  connect(): Promise<void> {
    this.closedByUser = false;
    if (this.isConnected()) return Promise.resolve();
    this.connecting ??= this.openSocket().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Keeps trying to connect in the background (backoff as after a disconnect)
   * until connected or disconnect() is called. For publishers that must start
   * while the server is down.
   */
  connectInBackground(): void {
    this.closedByUser = false;
    if (this.isConnected() || this.connecting || this.reconnectTimer) return;
    this.connect().catch(() => this.scheduleReconnect());
  }

  /**
   * Writes a message without waiting for a response. Resolves once the frame
   * is buffered, or, when too much is buffered, once the socket drained.
   */
  send(message: OutgoingMessage): Promise<void> {
    const writer = this.writer;
    if (!writer || !this.isConnected()) {
      return Promise.reject(new NotConnectedError(`Not connected to ${this.options.socketPath}`));
    }
    let complete: IPCMessage;
    try {
      complete = completeMessage(message);
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      writer.writeJson(complete);
    } catch (error) {
      return Promise.reject(encodingError(error, complete.id));
    }
    this.counters.framesSent++;
    if (writer.pendingBytes < this.options.writeHighWaterBytes) return RESOLVED;
    writer.flush();
    this.drained ??= this.waitForDrain(this.socket as Socket);
    return this.drained;
  }

  /** One shared wait per congestion episode, however many sends are waiting. */
  private waitForDrain(socket: Socket): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        socket.off('close', onClose);
        this.drained = undefined;
        resolve();
      };
      const onClose = (): void => {
        socket.off('drain', onDrain);
        this.drained = undefined;
        reject(new DisconnectedError('Disconnected while waiting for the socket to drain'));
      };
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    });
  }

  /**
   * Sends a message and resolves with its response (success or not). Rejects
   * with RequestTimeoutError, DisconnectedError or NotConnectedError, and with
   * InvalidOptionsError for a `timeoutMs` that is not a positive number of ms
   * setTimeout takes.
   */
  request(message: OutgoingMessage, options: RequestOptions = {}): Promise<IPCResponse> {
    // First, also while not connected: a caller that falls back on NotConnectedError would never see it.
    const timeoutProblem = requestTimeoutProblem(options.timeoutMs);
    if (timeoutProblem !== undefined) {
      return Promise.reject(new InvalidOptionsError('UnixSocketClient.request', [timeoutProblem]));
    }
    const writer = this.writer;
    if (!writer || !this.isConnected()) {
      return Promise.reject(new NotConnectedError(`Not connected to ${this.options.socketPath}`));
    }
    let complete: IPCMessage;
    try {
      complete = completeMessage(message);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.pending.has(complete.id)) {
      return Promise.reject(
        new DuplicateRequestIdError(`A request with id ${complete.id} is already in flight`),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    return new Promise<IPCResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(complete.id);
        reject(new RequestTimeoutError(complete.id, timeoutMs));
      }, timeoutMs);
      this.pending.set(complete.id, { resolve, reject, timer });
      try {
        writer.writeJson(complete);
      } catch (error) {
        this.pending.delete(complete.id);
        clearTimeout(timer);
        reject(encodingError(error, complete.id) as Error);
        return;
      }
      this.counters.framesSent++;
    });
  }

  /** Closes the connection, stops reconnecting, rejects requests in flight. */
  async disconnect(): Promise<void> {
    this.closedByUser = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    if (!socket || socket.destroyed) {
      this.rejectPending(new ClientClosedError('Client disconnected'));
      return;
    }
    this.writer?.flush();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end();
    const killer = setTimeout(() => socket.destroy(), 500);
    await closed;
    clearTimeout(killer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  private openSocket(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = createConnection(this.options.socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new ConnectTimeoutError(
            `Connecting to ${this.options.socketPath} took over ${this.options.connectTimeout} ms`,
          ),
        );
      }, this.options.connectTimeout);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new ConnectFailedError(`Cannot connect to ${this.options.socketPath}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        if (this.closedByUser) {
          socket.destroy();
          reject(new ClientClosedError('Client disconnected while connecting'));
          return;
        }
        this.adopt(socket);
        resolve();
        this.emit('connected');
      });
    });
  }

  private adopt(socket: Socket): void {
    socket.removeAllListeners('error');
    socket.setNoDelay?.(true);
    const decoder = new FrameDecoder(this.options.maxFrameBytes);
    let lastError: Error | undefined;
    /** This connection's last error response without id: the server's reason for closing it, if it closes. */
    let withoutId: IPCResponse | undefined;
    const onFrame = (body: Buffer): void => {
      withoutId = this.handleResponse(body) ?? withoutId;
    };
    this.socket = socket;
    this.writer = new FrameWriter(socket, this.options.maxFrameBytes);
    this.reconnectAttempt = 0;
    socket.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, onFrame);
      } catch (error) {
        lastError = error as Error;
        socket.destroy();
      }
    });
    socket.on('error', (error) => {
      lastError = error;
    });
    socket.on('close', () => {
      if (this.socket === socket) {
        this.writer?.discard();
        this.socket = undefined;
        this.writer = undefined;
      }
      // The server's own reason, when it gave one, says more than the socket error it may have caused (EPIPE).
      const cause = withoutId ? new ResponseWithoutIdError(withoutId, { cause: lastError }) : lastError;
      this.rejectPending(
        this.closedByUser
          ? new ClientClosedError('Client disconnected')
          : new DisconnectedError(
              `Connection to ${this.options.socketPath} closed${cause instanceof ResponseWithoutIdError ? ` (${cause.message})` : ''}`,
              { cause },
            ),
      );
      this.emit('disconnected', cause);
      if (!this.closedByUser) this.scheduleReconnect();
    });
  }

  /** Settles the request a response answers; returns it when it is an error response without id. */
  private handleResponse(body: Buffer): IPCResponse | undefined {
    const response = parseResponseEnvelope(body);
    if (!response) return undefined;
    this.counters.responsesReceived++;
    if (response.id === '') {
      // The server could not read the request's id (e.g. FLOWTRACE_FRAME_TOO_LARGE, before it closes
      // the connection). No request waits under "" (completeMessage refuses it): keep it instead.
      this.counters.responsesWithoutId++;
      return response.success ? undefined : response;
    }
    const waiting = this.pending.get(response.id);
    if (!waiting) return undefined; // timed out already, or a reply to a fire-and-forget send
    this.pending.delete(response.id);
    clearTimeout(waiting.timer);
    waiting.resolve(response);
    return undefined;
  }

  private rejectPending(error: Error): void {
    if (this.pending.size === 0) return;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const request of all) {
      clearTimeout(request.timer);
      request.reject(error);
    }
  }

  private scheduleReconnect(): void {
    if (!this.options.autoReconnect || this.closedByUser || this.reconnectTimer) return;
    const delay = reconnectDelayMs(
      this.reconnectAttempt++,
      this.options.reconnectBaseDelayMs,
      this.options.reconnectMaxDelayMs,
      Math.random,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closedByUser) return;
      this.counters.reconnects++;
      this.connect().catch(() => this.scheduleReconnect());
    }, delay);
  }
}
