import { parseOptions } from '../../../shared/options';
import type { IPCMessage, IPCResponse, OutgoingMessage } from '../../../shared/types';
import { validateQueueMessage } from '../../sqlite-queue/domain/validation';
import { SQLiteQueue } from '../../sqlite-queue/infrastructure/SQLiteQueue';
import { fillMessage, UnixSocketClient } from '../../unix-socket/infrastructure/UnixSocketClient';
import { PublisherClosedError, PublishRejectedError } from '../domain/errors';
import { publisherOptionsSchema } from '../domain/options';
import type { HybridPublisherConfig, HybridPublisherStats, PublishResult } from '../domain/types';

/**
 * The zero-loss producer: `publish()` resolves only once the daemon acknowledged
 * the message (success response) or the message is durably (fsync'd) in the
 * SQLite fallback queue, which the daemon drains with SQLiteQueuePoller.
 *
 * - Not connected, a timeout, a dropped connection or a retryable error
 *   response (also one without `retryable`, as old servers send): queued.
 * - A non-retryable error response (e.g. validation): rejected with
 *   PublishRejectedError and NOT queued (it would fail forever).
 * - The socket reconnects in the background; publishing uses it again as soon
 *   as it is back.
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
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counters = { acked: 0, queued: 0, failed: 0 };
  private fallbackBatch: Array<{ message: IPCMessage; resolve(): void; reject(error: Error): void }> = [];

  constructor(config: HybridPublisherConfig) {
    const options = parseOptions('HybridPublisher', publisherOptionsSchema, config);
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.maxSocketBufferedBytes = options.maxSocketBufferedBytes;
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
    return { ...this.counters, inFlight: this.inFlight.size, connected: this.client.isConnected() };
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
      this.queue.close();
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async deliver(outgoing: OutgoingMessage): Promise<PublishResult> {
    let message: ReturnType<typeof fillMessage>;
    try {
      // The queue's rules (a superset of the socket's) give this publisher's typed error.
      message = validateQueueMessage(fillMessage(outgoing)) as ReturnType<typeof fillMessage>;
    } catch (error) {
      this.counters.failed++;
      throw error;
    }
    if (this.client.isConnected() && this.client.bufferedBytes < this.maxSocketBufferedBytes) {
      let response: IPCResponse | undefined;
      try {
        response = await this.client.request(message, { timeoutMs: this.requestTimeoutMs });
      } catch {
        response = undefined; // timeout, disconnect, duplicate in flight: fall back to the queue
      }
      if (response?.success) {
        this.counters.acked++;
        return { id: message.id, via: 'socket' };
      }
      if (response && response.retryable === false) {
        this.counters.failed++;
        throw new PublishRejectedError(response);
      }
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
      for (const entry of batch) {
        try {
          this.queue.enqueue(entry.message);
          entry.resolve();
        } catch (error) {
          entry.reject(error as Error);
        }
      }
      return;
    }
    for (const entry of batch) entry.resolve();
  };
}
