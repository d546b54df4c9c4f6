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
   * After a message fell back to the queue, later publishes do not pass it:
   * they go to the queue while the daemon is away and, once it is back, wait
   * (while the daemon makes progress) until the messages this publisher
   * queued are drained, then use the socket. The daemon then receives this
   * producer's messages in the order they were published, so a newer version
   * of a candle sent once the daemon is back is never overwritten by an older
   * one still waiting in the queue. Costs latency after an outage (the time
   * the daemon takes to drain them). `false`: use the socket as soon as it is
   * connected. Default true. See docs/ipc-protocol.md section 8.
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
  /**
   * Messages the connected socket did not take because their frame was above
   * `maxFrameBytes` (nothing was written): queued instead (also counted in
   * `queued`, unless the queue failed). Each reaches the daemon only through
   * the queue, at its polling pace, and with `preserveOrder` the publishes
   * after it wait for it: publish smaller messages (fewer candles per
   * `candle:batch`) if this grows.
   */
  tooLargeForSocket: number;
  inFlight: number;
  connected: boolean;
  /** True while messages this publisher queued are still ahead in the queue (`preserveOrder`). */
  drainingQueue: boolean;
}
