import type { Socket } from 'node:net';
import type { IPCMessage, IPCResponse } from '../../../shared/types';
import { errorResponse, parseRequestEnvelope } from '../domain/envelope';
import { FrameTooLargeError, InvalidEnvelopeError, IpcErrorCode } from '../domain/errors';
import { FrameDecoder } from '../domain/FrameDecoder';
import type { ResolvedServerOptions } from '../domain/options';
import { FrameWriter } from './FrameWriter';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly options: ResolvedServerOptions;
  /**
   * Handles one valid request and calls `done` exactly once, with the reply to
   * send or undefined for none: synchronously for a synchronous handler, later
   * for an asynchronous one. A callback rather than a returned promise: one
   * promise less per request on the hot path.
   */
  dispatch(
    message: IPCMessage,
    connection: { readonly id: number },
    done: (reply: IPCResponse | undefined) => void,
  ): void;
  /** Server-wide counters, updated in place on the hot path. */
  readonly counters: ServerCounters;
  onConnectionClosed(connection: ServerConnection): void;
}

export interface ServerCounters {
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

/** One accepted socket: framing, per-connection backpressure, timeouts and replies. */
export class ServerConnection {
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private inFlight = 0;
  private paused = false;
  private closed = false;
  private partialTimer: NodeJS.Timeout | undefined;
  private partialSnapshot = 0;
  private idleWaiters: Array<() => void> = [];
  /** Frames of the last chunk that arrived after the connection was paused (at most one read's worth). */
  private backlog: Buffer[] = [];
  private backlogHead = 0;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.decoder = new FrameDecoder(host.options.maxFrameBytes);
    this.writer = new FrameWriter(socket);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // 'close' follows; nothing to add.
    socket.on('close', () => this.onClose());
    if (host.options.idleTimeoutMs > 0) {
      socket.setTimeout(host.options.idleTimeoutMs, () => this.onIdle());
    }
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** Resolves when nothing is in flight on this connection. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Flushes replies, half-closes, and destroys after a short grace period. */
  close(graceMs = 200): void {
    if (this.closed) return;
    this.writer.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), graceMs).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    try {
      this.decoder.push(chunk, this.onFrame);
    } catch (error) {
      if (error instanceof FrameTooLargeError) {
        this.host.counters.protocolErrors++;
        // The stream cannot be re-synchronised: answer, stop reading, close.
        this.socket.pause();
        this.sendReply(errorResponse('', error.message, error.code, false), true);
        this.close();
        return;
      }
      throw error;
    }
    this.armPartialTimerIfNeeded();
  }

  private readonly onFrame = (body: Buffer): void => {
    if (this.paused) {
      // A chunk can hold many frames; keep the rest for later so in-flight
      // requests never exceed the limit (memory stays bounded by one read).
      this.backlog.push(body);
      return;
    }
    this.handleFrame(body);
  };

  private handleFrame(body: Buffer): void {
    this.host.counters.framesReceived++;
    let message: IPCMessage;
    try {
      message = parseRequestEnvelope(body);
    } catch (error) {
      this.host.counters.protocolErrors++;
      const id = error instanceof InvalidEnvelopeError ? error.requestId : '';
      const code = (error as { code?: string }).code ?? IpcErrorCode.InvalidEnvelope;
      // Subject to the pending-reply limit too: a deaf peer sending garbage must not grow memory.
      this.sendReply(errorResponse(id, (error as Error).message, code, false), false);
      return;
    }
    this.startRequest();
    try {
      this.host.dispatch(message, this, this.onReply);
    } catch (error) {
      // dispatch maps handler errors itself and never throws; if it did (a server bug), still answer.
      this.finishRequest(
        errorResponse(message.id, (error as Error).message, IpcErrorCode.HandlerFailed, true),
      );
    }
  }

  private readonly onReply = (reply: IPCResponse | undefined): void => this.finishRequest(reply);

  private startRequest(): void {
    this.inFlight++;
    this.host.counters.requestsInFlight++;
    if (!this.paused && this.inFlight >= this.host.options.maxInFlightPerConnection) {
      // Backpressure: stop reading this client until its requests complete;
      // the kernel buffer then fills and the client's writes slow down.
      this.paused = true;
      this.socket.pause();
      this.host.counters.pausedConnections++;
    }
  }

  private finishRequest(reply: IPCResponse | undefined): void {
    this.inFlight--;
    this.host.counters.requestsInFlight--;
    if (reply !== undefined) this.sendReply(reply, false);
    if (this.paused && this.inFlight <= this.host.options.maxInFlightPerConnection >> 1) {
      this.paused = false;
      this.host.counters.pausedConnections--;
      while (this.backlogHead < this.backlog.length && !this.paused) {
        this.handleFrame(this.backlog[this.backlogHead++] as Buffer);
      }
      if (this.backlogHead === this.backlog.length) {
        this.backlog = [];
        this.backlogHead = 0;
      }
      if (!this.paused && !this.closed) this.socket.resume();
    }
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * Replies to a peer that never reads them (original clients) must not pile up:
   * past maxPendingReplyBytes they are dropped and counted. Dropping a reply
   * loses no data (the request was handled); a reading client just times out.
   */
  private sendReply(reply: IPCResponse, always: boolean): void {
    if (this.closed) return;
    if (!always && this.writer.pendingBytes > this.host.options.maxPendingReplyBytes) {
      this.host.counters.responsesDropped++;
      return;
    }
    try {
      this.writer.writeJson(reply);
    } catch (error) {
      // e.g. the handler returned a BigInt or a cycle: answer rather than crash.
      this.writer.writeJson(
        errorResponse(
          reply.id,
          `Response could not be encoded: ${(error as Error).message}`,
          IpcErrorCode.HandlerFailed,
          true,
        ),
      );
    }
    this.host.counters.responsesSent++;
  }

  private armPartialTimerIfNeeded(): void {
    if (this.partialTimer !== undefined || !this.decoder.hasPartialFrame) return;
    this.partialSnapshot = this.decoder.framesDecoded;
    this.partialTimer = setTimeout(this.onPartialTimeout, this.host.options.partialFrameTimeoutMs);
    this.partialTimer.unref();
  }

  private readonly onPartialTimeout = (): void => {
    this.partialTimer = undefined;
    if (!this.decoder.hasPartialFrame || this.closed) return;
    if (this.decoder.framesDecoded === this.partialSnapshot) {
      // A frame started before the timer and never completed: slow or stuck peer.
      this.host.counters.timedOutConnections++;
      this.socket.destroy();
      return;
    }
    this.armPartialTimerIfNeeded();
  };

  private onIdle(): void {
    if (this.inFlight > 0 || this.decoder.hasPartialFrame) return; // busy handler or partial timer decides
    this.host.counters.timedOutConnections++;
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.writer.discard();
    // The backlog is kept: those requests were received and are still handled
    // (fire-and-forget clients may have sent them just before closing).
    if (this.partialTimer !== undefined) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    this.host.onConnectionClosed(this);
  }
}
