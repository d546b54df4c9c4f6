import { dirname } from 'node:path';
import {
  type IPCMessage,
  type RequestContext,
  UnixSocketServer,
  type UnixSocketServerStats,
} from '@flowtrace/ipc';
import { createDirectories } from '../../storage/file/createDirectories';
import type { PersistenceMetrics } from '../metrics/PersistenceMetrics';
import type { SocketRequestHandler } from './SocketRequestHandler';

export interface SocketConsumerSettings {
  readonly socketPath: string;
  readonly maxConnections: number;
  /** Largest frame read (the server answers a larger one FLOWTRACE_FRAME_TOO_LARGE and closes the connection). */
  readonly maxFrameBytes: number;
  /** Mode of the socket file, e.g. 0o600 (owner only) or 0o660 (and its group). */
  readonly socketMode: number;
  readonly stopTimeoutMs: number;
}

/**
 * The real-time channel: a UnixSocketServer whose request handler persists the
 * candle and answers only once it is durable. Requests from all connections
 * run concurrently, so their saves share the storage's group-commit fsync.
 */
export class SocketConsumer {
  private server: UnixSocketServer | undefined;
  /** The `channel="socket"` series, resolved once: observing it then skips label hashing per request. */
  private readonly ackSeconds: { observe(seconds: number): void };

  constructor(
    private readonly settings: SocketConsumerSettings,
    private readonly handler: SocketRequestHandler,
    metrics: PersistenceMetrics,
  ) {
    this.ackSeconds = metrics.ackSeconds.labels({ channel: 'socket' });
  }

  get isListening(): boolean {
    return this.server?.isListening() === true;
  }

  stats(): UnixSocketServerStats | undefined {
    return this.server?.stats();
  }

  async start(): Promise<void> {
    if (this.server) return;
    // As for the queue and the store: a missing parent directory is created, not an error
    // (one level at a time: the recursive mkdir spins forever on procfs).
    await createDirectories(dirname(this.settings.socketPath), 'the directory of socketPath');
    const server = new UnixSocketServer({
      socketPath: this.settings.socketPath,
      maxConnections: this.settings.maxConnections,
      maxFrameBytes: this.settings.maxFrameBytes,
      socketMode: this.settings.socketMode,
      stopTimeoutMs: this.settings.stopTimeoutMs,
    });
    server.setRequestHandler((message, context) => this.handle(message, context));
    await server.start();
    this.server = server;
  }

  /** Stops accepting, lets in-flight requests finish (up to stopTimeoutMs), closes connections. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  private handle(message: IPCMessage, _context: RequestContext): Promise<unknown> {
    return this.handler.handle(message, this.observeAck);
  }

  private readonly observeAck = (seconds: number): void => this.ackSeconds.observe(seconds);
}
