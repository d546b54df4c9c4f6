import type { QueueDurability } from '../../sqlite-queue/domain/types';

export interface HybridPublisherConfig {
  /** Socket of the daemon (UnixSocketServer with a request handler). */
  socketPath: string;
  /** SQLite fallback queue file (created if missing). */
  queuePath: string;
  /**
   * How long to wait for the daemon's acknowledgement before queueing. Default 2000; at most
   * 2^31 − 1 (setTimeout's limit), as `connectTimeout` and the reconnect delays.
   */
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
  /**
   * A `candle:batch` (payload `{ candles: [...] }`) whose frame is above
   * `maxFrameBytes` is cut into consecutive batches that fit, published one
   * after another over the socket (ids `<id>:part<k>of<n>`), instead of going
   * to the queue whole: the candles keep durable acknowledgements. (While
   * the daemon is not connected a batch is queued whole, whatever its size.)
   * `false`: such a batch is queued whole (`stats().tooLargeForSocket`).
   * Default true.
   */
  splitLargeBatches?: boolean;
}

/** How a published message was made safe. */
export interface PublishResult {
  id: string;
  /** `socket`: the daemon acknowledged it. `queue`: it is durably in the fallback queue. */
  via: 'socket' | 'queue';
  /**
   * A `candle:batch` too large for one frame became this many messages
   * (`splitLargeBatches`; a part cut again counts its own parts); `via` is
   * `socket` only when every part was acknowledged there. Absent otherwise.
   */
  parts?: number;
  /**
   * The `data` of the daemon's acknowledgement, when `via` is `socket` and it
   * had any. For a `candle:batch` sent to the FlowTrace service this is
   * `{ persisted, rejected, unsaved, results }`: a batch is acknowledged once
   * its valid candles are durable, and the candles its validation refused are
   * listed there (`results[i].success === false`), not thrown. Absent for a
   * message queued (the daemon answers nobody when it drains the queue) and
   * for a cut batch (see `partResults`).
   */
  reply?: unknown;
  /**
   * A cut batch (`parts`): the result of each message it became, in order
   * (a part cut again contributes its own parts), each with its `via` and
   * `reply`. Absent otherwise.
   */
  partResults?: readonly PublishResult[];
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
   * `maxFrameBytes` (nothing was written) and that could not be cut into
   * parts (not a `candle:batch` of two or more candles, or
   * `splitLargeBatches: false`): queued instead (also counted in `queued`,
   * unless the queue failed). Each reaches the daemon only through the queue,
   * and with `preserveOrder` the publishes after it wait for it to drain.
   */
  tooLargeForSocket: number;
  /**
   * Publishes of a `candle:batch` cut into parts that fit a frame
   * (`splitLargeBatches`); each part is counted in `acked` or `queued` as a
   * message of its own.
   */
  batchesSplit: number;
  inFlight: number;
  connected: boolean;
  /** True while messages this publisher queued are still ahead in the queue (`preserveOrder`). */
  drainingQueue: boolean;
}
