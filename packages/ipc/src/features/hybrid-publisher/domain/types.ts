import type { QueueDurability } from '../../sqlite-queue/domain/types';

export interface HybridPublisherConfig {
  /** Socket of the daemon (UnixSocketServer with a request handler). */
  socketPath: string;
  /** SQLite fallback queue file (created if missing). */
  queuePath: string;
  /** How long to wait for the daemon's acknowledgement before queueing. Default 2000. */
  requestTimeoutMs?: number;
  connectTimeout?: number;
  reconnectBaseDelayMs?: number;
  reconnectMaxDelayMs?: number;
  maxFrameBytes?: number;
  /**
   * Bytes written to the socket and not yet taken by the daemon above which
   * publishes go straight to the queue instead (a daemon that stopped reading,
   * e.g. hung or stuck in I/O, must not make the producer buffer without
   * bound). Default 1 MiB.
   */
  maxSocketBufferedBytes?: number;
  /** Durability of the fallback queue; `full` (default) fsyncs each enqueue. */
  queueDurability?: QueueDurability;
  queueBusyTimeoutMs?: number;
  /**
   * After a message fell back to the queue, keep queueing until the daemon has
   * drained the queue (no message in it left unprocessed), then use the socket
   * again. The daemon then receives this producer's messages in the order they
   * were published, so a newer version of a candle sent once the daemon is
   * back is never overwritten by an older one still waiting in the queue.
   * Costs latency after an outage (the daemon's poll interval and the queue's
   * drain time). `false`: use the socket as soon as it is connected. Default true.
   */
  preserveOrder?: boolean;
}

/** How a published message was made safe. */
export interface PublishResult {
  id: string;
  /** `socket`: the daemon acknowledged it. `queue`: it is durably in the fallback queue. */
  via: 'socket' | 'queue';
}

export interface HybridPublisherStats {
  /** Acknowledged by the daemon. */
  acked: number;
  /** Written to the fallback queue. */
  queued: number;
  /** Rejected (non-retryable error response, invalid message, or the queue failed). */
  failed: number;
  inFlight: number;
  connected: boolean;
  /** True while publishes go to the queue because it still holds unprocessed messages (`preserveOrder`). */
  drainingQueue: boolean;
}
