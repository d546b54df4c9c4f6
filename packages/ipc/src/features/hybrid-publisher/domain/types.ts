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
}
