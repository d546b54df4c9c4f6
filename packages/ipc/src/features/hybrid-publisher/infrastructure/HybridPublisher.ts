import { parseOptions } from '../../../shared/options';
import type { IPCMessage, IPCResponse, OutgoingMessage } from '../../../shared/types';
import { QUEUE_POLL_MESSAGE_TYPE } from '../../sqlite-queue/domain/queuePollMessage';
import { validateQueueMessage } from '../../sqlite-queue/domain/validation';
import { SQLiteQueue } from '../../sqlite-queue/infrastructure/SQLiteQueue';
import { FrameTooLargeError } from '../../unix-socket/domain/errors';
import { fillMessage, UnixSocketClient } from '../../unix-socket/infrastructure/UnixSocketClient';
import { PublisherClosedError, PublishRejectedError } from '../domain/errors';
import { publisherOptionsSchema } from '../domain/options';
import { isSplittableCandleBatch, splitCandleBatch } from '../domain/splitCandleBatch';
import type { HybridPublisherConfig, HybridPublisherStats, PublishResult } from '../domain/types';

/** How often a publish waiting for the queue to drain checks it (an indexed EXISTS query). */
const DRAIN_CHECK_INTERVAL_MS = 10;
/** Marks of what is ahead that are not queue message ids (those are the queue's own). */
const PENDING_COMMIT = '\u0000pending group commit';
const UNREADABLE_QUEUE = '\u0000unreadable queue';
/**
 * At most one `queue:poll` hint per this many ms: a burst falling back commit after commit (a
 * daemon answering retryable errors) must not add a request per commit to a struggling daemon.
 */
const MIN_HINT_INTERVAL_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The zero-loss producer: `publish()` resolves only once the daemon acknowledged
 * the message (success response) or the message is durably (fsync'd) in the
 * SQLite fallback queue, which the daemon drains with SQLiteQueuePoller.
 *
 * - Not connected, a timeout, a dropped connection or a retryable error
 *   response (also one without `retryable`, as old servers send): queued.
 * - A non-retryable error response (e.g. validation): rejected with
 *   PublishRejectedError and NOT queued (it would fail forever).
 * - The socket reconnects in the background. With `preserveOrder` (default),
 *   after a fallback, publishes go to the queue while the daemon is away and,
 *   once it is back, wait for it to drain the queue before using the socket,
 *   so the daemon receives this producer's messages in publish order; without
 *   it, publishing uses the socket as soon as it is back.
 *   Order holds between publishes that do not overlap (one resolved before
 *   the next was called); overlapping ones were never ordered.
 * - A `candle:batch` too large for one frame is cut into consecutive batches
 *   that fit, published one after another (`splitLargeBatches`, default);
 *   any other message too large for a frame is queued.
 * - Messages queued while connected (too large for a frame, a timeout): the
 *   publisher then sends the daemon a `queue:poll` message, so that it drains
 *   them at once instead of at its next poll interval.
 * - A daemon that is connected but stopped reading (hung, stuck in I/O): once
 *   `maxSocketBufferedBytes` are waiting to be written, publishes are queued
 *   without being sent, so the producer's memory stays bounded.
 *
 * Duplicates are possible and consumers must deduplicate by message id: a
 * message the daemon persisted but whose acknowledgement arrived late (timeout)
 * or was lost with the connection is also queued. The queue itself ignores an
 * id it already holds.
 */
export class HybridPublisher {
  private readonly client: UnixSocketClient;
  private readonly queue: SQLiteQueue;
  private readonly requestTimeoutMs: number;
  private readonly maxSocketBufferedBytes: number;
  private readonly preserveOrder: boolean;
  private readonly splitLargeBatches: boolean;
  /**
   * With preserveOrder: the newest message this publisher queued (or, at
   * start, the newest one an earlier run left ahead) while it is still ahead
   * in the queue; no publish may pass it over the socket.
   */
  private lastQueued: string | undefined;
  /**
   * The timestamp of lastQueued; +Infinity while unknown (a message an earlier run left), so
   * that no message counts on following it in the queue's timestamp order.
   */
  private lastQueuedTimestamp = Number.POSITIVE_INFINITY;
  /** The one wait for the queue to drain that publishes share (they resume in call order). */
  private drainWait: Promise<boolean> | undefined;
  /** The message ahead when a wait saw no progress: publish to the queue until it changes. */
  private stalledAt: string | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counters = { acked: 0, queued: 0, failed: 0, tooLargeForSocket: 0, batchesSplit: 0 };
  private fallbackBatch: Array<{ message: IPCMessage; resolve(): void; reject(error: Error): void }> = [];
  /** A `queue:poll` hint is in flight; `hintAgain`: a commit meanwhile wants one more after it. */
  private hinting = false;
  private hintAgain = false;
  /** When the last hint was sent (performance.now()), and the timer of one held back by MIN_HINT_INTERVAL_MS. */
  private lastHintAt = Number.NEGATIVE_INFINITY;
  private hintTimer: NodeJS.Timeout | undefined;
  /** The connected daemon does not know `queue:poll` (an older or the original one): no hints until reconnected. */
  private hintsUnsupported = false;

  constructor(config: HybridPublisherConfig) {
    const options = parseOptions('HybridPublisher', publisherOptionsSchema, config);
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.maxSocketBufferedBytes = options.maxSocketBufferedBytes;
    this.preserveOrder = options.preserveOrder;
    this.splitLargeBatches = options.splitLargeBatches;
    // The client first: it validates the socket path (and opens nothing), so options it refuses
    // do not leave the queue database open behind a constructor that threw.
    this.client = new UnixSocketClient({
      socketPath: options.socketPath,
      connectTimeout: options.connectTimeout,
      requestTimeoutMs: options.requestTimeoutMs,
      reconnectBaseDelayMs: options.reconnectBaseDelayMs,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs,
      autoReconnect: true,
      ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
    });
    this.queue = new SQLiteQueue({
      dbPath: options.queuePath,
      durability: options.queueDurability,
      busyTimeoutMs: options.queueBusyTimeoutMs,
    });
    // Messages an earlier run of the producer left in the queue come first too.
    this.lastQueued = this.preserveOrder ? this.newestMessageLeftAhead() : undefined;
    this.client.on('connected', () => {
      this.hintsUnsupported = false;
    });
    this.client.connectInBackground();
  }

  /** True while the daemon socket is connected (publishes go to the socket first). */
  isConnected(): boolean {
    return this.client.isConnected();
  }

  /** Resolves when connected, or after `timeoutMs` with false. */
  async waitForConnection(timeoutMs: number): Promise<boolean> {
    if (this.client.isConnected()) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.client.off('connected', onConnected);
        resolve(false);
      }, timeoutMs);
      const onConnected = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.client.once('connected', onConnected);
    });
  }

  stats(): HybridPublisherStats {
    return {
      ...this.counters,
      inFlight: this.inFlight.size,
      connected: this.client.isConnected(),
      drainingQueue: this.lastQueued !== undefined,
    };
  }

  publish(message: OutgoingMessage): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new PublisherClosedError('Publisher is closed'));
    const attempt = this.deliver(message);
    this.inFlight.add(attempt);
    const forget = (): void => {
      this.inFlight.delete(attempt);
    };
    attempt.then(forget, forget);
    return attempt;
  }

  /** Waits for publishes in flight, then closes the socket and the queue. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.client.disconnect();
      clearTimeout(this.hintTimer);
      this.queue.close();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * `batch`: set for the parts of a cut candle batch (shared by nested cuts):
   * once one part fell back to the queue, the rest follow it there.
   */
  private async deliver(outgoing: OutgoingMessage, batch?: CutBatch): Promise<PublishResult> {
    let message: ReturnType<typeof fillMessage>;
    try {
      // The queue's rules (a superset of the socket's) give this publisher's typed error.
      message = validateQueueMessage(fillMessage(outgoing)) as ReturnType<typeof fillMessage>;
    } catch (error) {
      this.counters.failed++;
      throw error;
    }
    if (batch?.fellBack !== true && (await this.socketMayTake(message))) {
      let response: IPCResponse | undefined;
      try {
        response = await this.client.request(message, { timeoutMs: this.requestTimeoutMs });
      } catch (error) {
        // Timeout, disconnect, duplicate in flight: fall back to the queue. So does a message
        // too large for a frame (nothing was written): the queue has no frame limit. A candle
        // batch is cut into batches that fit instead, which keep the socket's acknowledgements.
        if (error instanceof FrameTooLargeError) {
          const parts = this.splitLargeBatches
            ? splitCandleBatch(message, error.declaredBytes, error.maxFrameBytes)
            : undefined;
          if (parts) return this.deliverParts(message.id, parts, batch);
          this.counters.tooLargeForSocket++;
        }
        response = undefined;
      }
      if (response?.success) {
        this.counters.acked++;
        return response.data === undefined
          ? { id: message.id, via: 'socket' }
          : { id: message.id, via: 'socket', reply: response.data };
      }
      if (response && response.retryable === false) {
        this.counters.failed++;
        throw new PublishRejectedError(response);
      }
    }
    if (this.preserveOrder) {
      this.lastQueued = message.id;
      this.lastQueuedTimestamp = message.timestamp;
    }
    try {
      await this.enqueueDurably(message);
    } catch (error) {
      this.counters.failed++;
      throw error;
    }
    this.counters.queued++;
    return { id: message.id, via: 'queue' };
  }

  /**
   * The parts of a candle batch too large for one frame, one after another,
   * each acknowledged over the socket like any message, until one falls back
   * to the queue: the rest are queued behind it without trying the socket,
   * so the daemon receives the parts in order whatever `preserveOrder` says
   * (a later version of a candle in the batch lands last, as when the batch
   * was saved whole). The batch resolves `via: 'socket'` only when every
   * part was acknowledged there; `parts` counts the messages it became (a
   * part cut again counts its own parts), `partResults` lists their results
   * (with the daemon's replies) in order. A part rejected
   * (`PublishRejectedError`) or that cannot be queued rejects the publish;
   * the parts before it are stored.
   */
  private async deliverParts(
    id: string,
    parts: readonly IPCMessage[],
    outer: CutBatch | undefined,
  ): Promise<PublishResult> {
    const batch = outer ?? { fellBack: false };
    if (outer === undefined) this.counters.batchesSplit++;
    const partResults: PublishResult[] = [];
    for (const part of parts) {
      const result = await this.deliver(part, batch);
      if (result.via === 'queue') batch.fellBack = true;
      if (result.partResults) partResults.push(...result.partResults);
      else partResults.push(result);
    }
    return { id, via: batch.fellBack ? 'queue' : 'socket', parts: partResults.length, partResults };
  }

  /**
   * Whether this message may go over the socket. With preserveOrder, after a
   * fallback, not while messages this publisher queued before it are still
   * ahead in the queue. The socket is connected, so the daemon is draining them: the
   * publish waits (with the publishes after it, in call order) until they are
   * drained, then uses the socket. Waiting rather than queueing is what lets
   * producers that publish without pause get back to the socket at all.
   *
   * The wait lasts as long as the daemon makes progress (the first message
   * ahead changes). When it makes none for `requestTimeoutMs` (its storage is
   * failing and it paused its polling, or it does not drain this queue), the
   * waiting publishes are queued, and the next ones are queued at once
   * (paused) until the queue shows progress again: a producer never waits
   * `requestTimeoutMs` per message on a daemon that is not draining.
   */
  private async socketMayTake(message: IPCMessage): Promise<boolean> {
    if (!this.socketWritable()) return false;
    const ahead = this.messageAhead();
    if (ahead === undefined) return true;
    // It would go to the queue after the wait anyway (too large for a frame), and the queue keeps
    // order by itself: no wait, so a stream of large batches moves at the queue's pace. Not while
    // earlier publishes wait for the drain (it must not pass them), nor when its timestamp is
    // older than the last one queued (the queue delivers by timestamp: it would go first).
    // A candle batch does not: it is cut into parts that fit, and those go over the socket after the drain.
    if (
      this.drainWait === undefined &&
      message.timestamp >= this.lastQueuedTimestamp &&
      !(this.splitLargeBatches && isSplittableCandleBatch(message)) &&
      this.tooLargeForFrame(message)
    ) {
      this.counters.tooLargeForSocket++;
      return false;
    }
    if (this.stalledAt !== undefined && ahead === this.stalledAt) return false;
    this.stalledAt = undefined;
    this.drainWait ??= this.waitForDrain(ahead).finally(() => {
      this.drainWait = undefined;
    });
    return (await this.drainWait) && this.socketWritable();
  }

  /**
   * Whether the message's frame would exceed maxFrameBytes. Only asked while
   * messages are queued ahead (the one JSON encoding more is paid then only):
   * otherwise the client finds out itself, before writing anything.
   */
  private tooLargeForFrame(message: IPCMessage): boolean {
    let json: string;
    try {
      json = JSON.stringify(message);
    } catch {
      return false; // not encodable: the queue's validation names the problem
    }
    return Buffer.byteLength(json) > this.client.options.maxFrameBytes;
  }

  private socketWritable(): boolean {
    return this.client.isConnected() && this.client.bufferedBytes < this.maxSocketBufferedBytes;
  }

  /** At start: what an earlier run (or another producer) left ahead in the queue comes first. */
  private newestMessageLeftAhead(): string | undefined {
    try {
      return this.queue.lastMessageAhead();
    } catch {
      return undefined; // unreadable: the first enqueue reports it
    }
  }

  /**
   * Undefined when nothing this publisher queued is still ahead in the queue
   * (the draining ends); otherwise a mark of the consumer's progress: the
   * queue's first message ahead (whoever queued it), PENDING_COMMIT while a
   * group commit of this publisher is pending, UNREADABLE_QUEUE when the
   * queue cannot be read (the enqueue that follows reports the failure).
   * Only this publisher's own messages hold it back: another producer
   * sharing the queue that keeps queueing does not (the queue delivers in
   * order, so once its newest message is no longer ahead, none of its
   * earlier ones is).
   */
  private messageAhead(): string | undefined {
    const last = this.lastQueued;
    if (last === undefined) return undefined;
    if (this.fallbackBatch.length > 0) return PENDING_COMMIT;
    try {
      if (!this.queue.isMessageAhead(last)) {
        this.lastQueued = undefined;
        return undefined;
      }
      return this.queue.firstMessageAhead() ?? last;
    } catch {
      return UNREADABLE_QUEUE;
    }
  }

  private async waitForDrain(ahead: string): Promise<boolean> {
    let lastAhead = ahead;
    let progressAt = Date.now();
    while (!this.closed && this.client.isConnected()) {
      await sleep(DRAIN_CHECK_INTERVAL_MS);
      const now = this.messageAhead();
      if (now === undefined) return true;
      if (now !== lastAhead) {
        lastAhead = now;
        progressAt = Date.now();
      } else if (Date.now() - progressAt >= this.requestTimeoutMs) {
        this.stalledAt = now;
        return false;
      }
    }
    return false;
  }

  /**
   * Group commit: messages falling back in the same event-loop turn (a burst
   * during an outage) share one transaction and one fsync instead of one each.
   * Each caller resolves only after that commit. An id already in the queue is
   * ignored there: it is durable either way.
   */
  private enqueueDurably(message: IPCMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.fallbackBatch.push({ message, resolve, reject });
      if (this.fallbackBatch.length === 1) setImmediate(this.commitFallbackBatch);
    });
  }

  private readonly commitFallbackBatch = (): void => {
    const batch = this.fallbackBatch;
    this.fallbackBatch = [];
    try {
      this.queue.enqueueBatch(batch.map((entry) => entry.message));
    } catch {
      // The batch is all-or-nothing; retry one by one so that one bad message
      // (e.g. a payload JSON cannot encode) fails alone.
      let queued = 0;
      for (const entry of batch) {
        try {
          this.queue.enqueue(entry.message);
          entry.resolve();
          queued++;
        } catch (error) {
          entry.reject(error as Error);
        }
      }
      if (queued > 0) this.hintDaemonToPoll();
      return;
    }
    for (const entry of batch) entry.resolve();
    this.hintDaemonToPoll();
  };

  /**
   * Messages were queued while the daemon is connected (too large for a
   * frame, a timed-out or retryable request): tell it over the socket to poll
   * its queue now rather than at its next `pollInterval` (1 s by default), so
   * they, and with preserveOrder the publishes waiting behind them, move on
   * at once. Best effort: one hint in flight at a time and at most one per
   * MIN_HINT_INTERVAL_MS, no publish waits for its reply, and failures are
   * ignored (the daemon polls on its interval anyway).
   */
  private hintDaemonToPoll(): void {
    if (this.hinting || this.hintTimer !== undefined) {
      this.hintAgain = true;
      return;
    }
    const wait = this.lastHintAt + MIN_HINT_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.sendHint();
      return;
    }
    this.hintTimer = setTimeout(() => {
      this.hintTimer = undefined;
      this.sendHint();
    }, wait);
    this.hintTimer.unref(); // a hint never keeps a producer's process alive
  }

  private sendHint(): void {
    this.hintAgain = false; // this hint covers every commit so far
    if (this.hintsUnsupported || !this.socketWritable()) return;
    this.hinting = true;
    this.lastHintAt = performance.now();
    this.client
      .request({ type: QUEUE_POLL_MESSAGE_TYPE, payload: {} }, { timeoutMs: this.requestTimeoutMs })
      .then(
        (response) => {
          if (!response.success && isUnknownTypeReply(response)) this.hintsUnsupported = true;
        },
        () => undefined, // not connected any more, timed out, closed: the interval poll remains
      )
      .finally(() => {
        this.hinting = false;
        if (this.hintAgain) this.hintDaemonToPoll();
      });
  }
}

/** The parts of one cut candle batch being delivered. */
interface CutBatch {
  /** A part went to the queue: the later ones follow it there (order within the batch). */
  fellBack: boolean;
}

/** The reply of a daemon that does not know a message type (FlowTrace's code, or the original's text). */
function isUnknownTypeReply(response: IPCResponse): boolean {
  return (
    response.code === 'FLOWTRACE_UNKNOWN_MESSAGE_TYPE' ||
    (typeof response.error === 'string' && response.error.startsWith('Unknown message type'))
  );
}
