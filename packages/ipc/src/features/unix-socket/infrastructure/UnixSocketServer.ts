import { createServer, type Server, type Socket } from 'node:net';
import { describeThrown } from '../../../shared/errors';
import { parseOptions } from '../../../shared/options';
import type { IPCMessage, IPCResponse } from '../../../shared/types';
import { errorResponse } from '../domain/envelope';
import { IpcErrorCode } from '../domain/errors';
import { type ResolvedServerOptions, serverOptionsSchema } from '../domain/options';
import type {
  MessageHandler,
  RequestHandler,
  UnixSocketServerConfig,
  UnixSocketServerStats,
} from '../domain/types';
import { type ConnectionHost, ServerConnection, type ServerCounters } from './ServerConnection';
import {
  assertSocketPathFits,
  assertSocketPathReplaceable,
  type BoundSocketFile,
  listenOnPrivatePath,
  removeSocketFile,
  removeStaleBindDirs,
} from './socketFile';

/**
 * Unix socket server speaking the FlowTrace frame protocol (docs/ipc-protocol.md).
 *
 * With a request handler every request gets a response carrying its id; with only
 * a message handler (seed API) requests are handled fire-and-forget and no
 * response is written, as on the original platform.
 */
export class UnixSocketServer implements ConnectionHost {
  readonly options: ResolvedServerOptions;
  private server: Server | undefined;
  private bound: BoundSocketFile | undefined;
  private messageHandler: MessageHandler | undefined;
  private requestHandler: RequestHandler | undefined;
  private readonly connections = new Set<ServerConnection>();
  private nextConnectionId = 1;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  readonly counters: ServerCounters = {
    acceptedConnections: 0,
    rejectedConnections: 0,
    framesReceived: 0,
    requestsInFlight: 0,
    responsesSent: 0,
    responsesDropped: 0,
    protocolErrors: 0,
    handlerErrors: 0,
    pausedConnections: 0,
    timedOutConnections: 0,
  };

  constructor(config: UnixSocketServerConfig) {
    this.options = parseOptions('UnixSocketServer', serverOptionsSchema, config);
  }

  /** Fire-and-forget handler (no response is sent unless a request handler is also set). */
  setMessageHandler(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  /** Handler whose result (or thrown error) becomes the response to each request. */
  setRequestHandler(handler: RequestHandler): void {
    this.requestHandler = handler;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  isListening(): boolean {
    return this.server?.listening === true && !this.stopping;
  }

  stats(): UnixSocketServerStats {
    return { listening: this.isListening(), connectionCount: this.connections.size, ...this.counters };
  }

  /**
   * Listens on `socketPath` with `socketMode`. Replaces a stale socket file left
   * by a crash and removes the private bind directories crashed servers left
   * beside it; throws SocketPathTooLongError (before creating anything) when the
   * path does not fit in `sun_path`, SocketInUseError when a live server answers
   * on it, SocketPathNotSocketError when the path is something else and
   * SocketDirectoryMissingError when its directory does not exist.
   */
  async start(): Promise<void> {
    if (this.server) return;
    // First: probing a too-long path would connect to a truncated one.
    assertSocketPathFits(this.options.socketPath);
    if (this.stopPromise) await this.stopPromise;
    await assertSocketPathReplaceable(this.options.socketPath);
    const server = createServer({ pauseOnConnect: false }, (socket) => this.accept(socket));
    server.on('error', () => undefined); // listen errors are reported by listenOnPrivatePath
    const bound = await listenOnPrivatePath(server, this.options.socketPath, this.options.socketMode);
    this.bound = bound;
    this.server = server;
    this.stopping = false;
    this.stopPromise = undefined;
    // Only once published: had a live server owned this name, start() would have failed.
    await removeStaleBindDirs(this.options.socketPath, bound.privateDir);
  }

  /**
   * Stops accepting, lets in-flight requests finish (up to stopTimeoutMs),
   * closes every connection and removes the socket file.
   */
  stop(): Promise<void> {
    if (!this.server) return this.stopPromise ?? Promise.resolve();
    this.stopPromise ??= this.doStop(this.server);
    return this.stopPromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async doStop(server: Server): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const drained = Promise.all([...this.connections].map((c) => c.whenIdle()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.stopTimeoutMs);
    });
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.close(50);
    await closed;
    if (this.bound) await removeSocketFile(this.options.socketPath, this.bound);
    this.bound = undefined;
    this.server = undefined;
  }

  private accept(socket: Socket): void {
    if (this.stopping || this.connections.size >= this.options.maxConnections) {
      this.counters.rejectedConnections++;
      socket.destroy();
      return;
    }
    this.counters.acceptedConnections++;
    this.connections.add(new ServerConnection(this.nextConnectionId++, socket, this));
  }

  onConnectionClosed(connection: ServerConnection): void {
    this.connections.delete(connection);
  }

  dispatch(
    message: IPCMessage,
    connection: { readonly id: number },
    done: (reply: IPCResponse | undefined) => void,
  ): void {
    const requestHandler = this.requestHandler;
    if (requestHandler) {
      if (this.stopping) {
        done(errorResponse(message.id, 'Server is stopping', IpcErrorCode.ServerStopping, true));
        return;
      }
      const id = message.id;
      let result: unknown;
      try {
        result = requestHandler(message, { connectionId: connection.id, receivedAt: Date.now() });
      } catch (error) {
        done(this.failure(id, error));
        return;
      }
      if (result instanceof Promise) {
        result.then(
          (data: unknown) => done(success(id, data)),
          (error: unknown) => done(this.failure(id, error)),
        );
      } else {
        done(success(id, result));
      }
      return;
    }
    const messageHandler = this.messageHandler;
    if (messageHandler) {
      let result: unknown;
      try {
        result = messageHandler(message);
      } catch {
        this.counters.handlerErrors++;
        done(undefined);
        return;
      }
      if (result instanceof Promise) {
        // The request stays in flight (backpressure, graceful stop) until the handler settles.
        result.then(
          () => done(undefined),
          () => {
            this.counters.handlerErrors++;
            done(undefined);
          },
        );
      } else {
        done(undefined);
      }
      return;
    }
    done(errorResponse(message.id, 'No handler is registered yet', IpcErrorCode.NoHandler, true));
  }

  private failure(id: string, error: unknown): IPCResponse {
    this.counters.handlerErrors++;
    const { message, code, retryable, data } = describeThrown(error, {
      code: IpcErrorCode.HandlerFailed,
      retryable: true,
    });
    return errorResponse(id, message, code, retryable, data);
  }
}

function success(id: string, data: unknown): IPCResponse {
  return data === undefined ? { id, success: true } : { id, success: true, data };
}
