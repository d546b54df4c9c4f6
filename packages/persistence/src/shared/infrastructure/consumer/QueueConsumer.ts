import { dirname } from 'node:path';
import {
  type MessageOutcome,
  type QueuedMessage,
  type QueueStats,
  type SQLiteQueue,
  SQLiteQueuePoller,
} from '@flowtrace/ipc';
import type { CandlePersistencePort } from '../../../features/candlePersistence/application/ports/in/CandlePersistencePort';
import type { LoggerPort } from '../../../features/candlePersistence/application/ports/out/LoggerPort';
import type { PersistenceEventsPort } from '../../../features/candlePersistence/application/ports/out/PersistenceEventsPort';
import type {
  RejectedCandleEntry,
  RejectedCandleLogPort,
  RejectionRecord,
} from '../../../features/candlePersistence/application/ports/out/RejectedCandleLogPort';
import type {
  PersistCandleOutcome,
  PersistCandleRequest,
} from '../../../features/candlePersistence/application/use-cases/PersistCandle/DTO';
import { NO_PROBE, type PersistenceProbe } from '../../application/PersistenceProbe';
import { createDirectoriesSync } from '../../storage/file/createDirectories';
import type { StorageHealthTracker } from '../health/StorageHealthTracker';
import type { PersistenceMetrics } from '../metrics/PersistenceMetrics';
import { AckReportingQueue } from './AckReportingQueue';
import { CANDLE_BATCH_TYPE, SINGLE_CANDLE_TYPES } from './messageTypes';

export interface QueueConsumerSettings {
  readonly queuePath: string;
  readonly pollInterval: number;
  readonly batchSize: number;
}

/**
 * Drains the SQLite fallback queue: one persistMany (one storage group commit)
 * per leased batch; the poller marks the batch processed only after it resolved.
 *
 * - Invalid candles and unknown message types are durably written to the
 *   rejected-candles log and then marked processed: they are never retried.
 * - A storage failure fails the batch's candle messages (they stay pending,
 *   with a short retry delay) and PAUSES polling until the storage circuit
 *   breaker reports recovery, so an outage never burns through attempts and
 *   dead-letters good candles (maxAttempts is effectively unlimited for this
 *   consumer). The messages refused whole (unknown type, malformed batch) are
 *   on record before the save starts: they are marked processed all the same.
 *   The retried messages' rejections are on record already and are neither
 *   written nor counted again (JsonlRejectedCandleLog remembers what it
 *   recorded, and tells).
 * - An incomplete candle (`x: false`) whose key already has a complete
 *   version stored is not written (PersistCandleUseCase): the queue may drain
 *   a stale partial after the complete candle came over the socket.
 * - A candle whose partition refuses writes (quarantined) while the rest of
 *   the batch was saved fails only its own message: it stays pending and is
 *   retried (backing off to every 5 s) until the partition is repaired; the
 *   other messages are marked processed and polling goes on.
 * - `ack_seconds{channel="queue"}` times a message from its producer
 *   `timestamp` to its committed processed mark, and only a message that
 *   stored a candle (as the socket channel times success replies only): not
 *   one refused whole (unknown type, malformed batch, every candle rejected).
 */
export class QueueConsumer {
  private queue: SQLiteQueue | undefined;
  private poller: SQLiteQueuePoller | undefined;
  private started = false;
  private pausedForStorage = false;
  private resumeTask: Promise<void> | undefined;
  private wakeOnStop: (() => void) | undefined;
  private statsCache: { at: number; stats: QueueStats } | undefined;
  /** The `channel="queue"` series, resolved once. */
  private readonly ackSeconds: { observe(seconds: number): void };
  /** Producer timestamps of the messages to time, from handleBatch until their processed mark commits. */
  private readonly awaitingMark = new Map<string, number>();

  constructor(
    private readonly settings: QueueConsumerSettings,
    private readonly persistence: CandlePersistencePort,
    private readonly rejectedLog: RejectedCandleLogPort,
    private readonly events: PersistenceEventsPort,
    private readonly storageHealth: StorageHealthTracker,
    metrics: PersistenceMetrics,
    private readonly logger: LoggerPort,
    private readonly probe: PersistenceProbe = NO_PROBE,
  ) {
    this.ackSeconds = metrics.ackSeconds.labels({ channel: 'queue' });
  }

  get isRunning(): boolean {
    return this.poller?.isRunning === true;
  }

  get isPausedForStorage(): boolean {
    return this.pausedForStorage;
  }

  async start(): Promise<void> {
    if (this.started) return;
    // One mkdir per level, not the recursive mkdir that spins forever on procfs (`/proc/x/q.db`).
    createDirectoriesSync(dirname(this.settings.queuePath), 'the directory of queuePath');
    const queue = new AckReportingQueue(
      {
        dbPath: this.settings.queuePath,
        maxAttempts: Number.MAX_SAFE_INTEGER,
        retryDelayMs: Math.min(this.settings.pollInterval, 1000),
        maxRetryDelayMs: 5000,
      },
      this.timeAcks,
    );
    this.queue = queue;
    this.poller = new SQLiteQueuePoller({
      queue,
      pollInterval: this.settings.pollInterval,
      batchSize: this.settings.batchSize,
      onBatch: (messages) => this.handleBatch(messages),
      onError: (error) => this.logger.error({ err: error }, 'queue poll failed'),
    });
    this.started = true;
    await this.poller.start();
  }

  /**
   * A producer queued messages while connected (socket `queue:poll`): poll now
   * instead of at the next interval. False while stopped or paused for storage
   * (the resume polls by itself once storage recovers).
   */
  pollSoon(): boolean {
    if (!this.started || this.pausedForStorage) return false;
    return this.poller?.pollSoon() === true;
  }

  /** Waits for the batch in flight to be persisted and marked, then closes the queue database. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.wakeOnStop?.();
    await this.poller?.stop();
    await this.resumeTask;
    this.queue?.close();
    this.queue = undefined;
    this.poller = undefined;
    this.statsCache = undefined;
    // Marks that never committed: those messages are delivered again (and timed then).
    this.awaitingMark.clear();
  }

  /** Queue depth and age, cached for 250 ms so frequent scrapes cost little. */
  stats(): QueueStats | undefined {
    const queue = this.queue;
    if (!queue || queue.isClosed) return undefined;
    const now = Date.now();
    if (!this.statsCache || now - this.statsCache.at > 250)
      this.statsCache = { at: now, stats: queue.stats() };
    return this.statsCache.stats;
  }

  private async handleBatch(messages: readonly QueuedMessage[]): Promise<MessageOutcome[]> {
    this.probe('queue:leased', { messageIds: messages.map((message) => message.id) });
    const requests: PersistCandleRequest[] = [];
    // The queue message each request came from (a batch message carries several).
    const owners: string[] = [];
    const refused: RejectedCandleEntry[] = [];
    for (const message of messages) this.collect(message, requests, owners, refused);
    let records: readonly RejectionRecord[] = [];
    try {
      if (refused.length > 0) records = await this.rejectedLog.append(refused);
    } catch (error) {
      // Nothing is marked processed unless its refusal is on record.
      this.events.storageFailed(error);
      this.pauseUntilStorageRecovers();
      throw error;
    }
    // Counted now: these messages are marked processed even if the save below fails.
    if (refused.length > 0) this.countRefused(records, refused.length);
    let outcomes: PersistCandleOutcome[];
    try {
      outcomes = await this.persistence.persistMany(requests);
    } catch (error) {
      this.pauseUntilStorageRecovers(); // the use case already reported the failure
      return this.failCandleMessages(messages, owners, error);
    }
    const unsaved = new Map<string, unknown>();
    const stored = new Set<string>();
    let superseded = 0;
    outcomes.forEach((outcome, index) => {
      const owner = owners[index];
      if (outcome.status === 'persisted' && owner !== undefined) stored.add(owner);
      if (outcome.status === 'persisted' && outcome.superseded) superseded += 1;
      if (outcome.status === 'unsaved' && owner !== undefined && !unsaved.has(owner))
        unsaved.set(owner, outcome.error);
    });
    // Stale partials of candles completed since (e.g. over the socket after an outage): not written.
    if (superseded > 0)
      this.logger.info({ superseded }, 'queued incomplete candles skipped: a complete version is stored');
    const saved = unsaved.size === 0 ? messages : messages.filter((message) => !unsaved.has(message.id));
    // Durable, not yet marked processed (the poller marks them once this resolves).
    this.probe('queue:saved', { messageIds: saved.map((message) => message.id) });
    // Timed once the poller's processed mark commits (timeAcks), not now: that mark is the ack.
    for (const message of saved)
      if (stored.has(message.id)) this.awaitingMark.set(message.id, message.timestamp);
    return messages.map((message): MessageOutcome => {
      const error = unsaved.get(message.id);
      return error === undefined ? { id: message.id, ok: true } : { id: message.id, ok: false, error };
    });
  }

  /**
   * Counts the refusals the log wrote now: not those of a message delivered
   * again (its processed mark did not commit: a crash, a locked database)
   * whose refusal is on record already.
   */
  private countRefused(records: readonly RejectionRecord[], entries: number): void {
    let written = 0;
    // An entry the log returned no record for is counted: a count too many rather than one missing.
    for (let index = 0; index < entries; index += 1) if (records[index]?.written !== false) written += 1;
    if (written > 0) this.events.rejected('queue', written);
  }

  /**
   * The batch's save failed: its candle messages stay pending (retried), while
   * those with no candle to save (refused whole, their refusal on record, or
   * an empty batch) are done and marked processed.
   */
  private failCandleMessages(
    messages: readonly QueuedMessage[],
    owners: readonly string[],
    error: unknown,
  ): MessageOutcome[] {
    const withCandles = new Set(owners);
    const done = messages.filter((message) => !withCandles.has(message.id));
    if (done.length > 0) this.probe('queue:saved', { messageIds: done.map((message) => message.id) });
    return messages.map(
      (message): MessageOutcome =>
        withCandles.has(message.id) ? { id: message.id, ok: false, error } : { id: message.id, ok: true },
    );
  }

  private readonly timeAcks = (ids: readonly string[]): void => {
    const now = Date.now();
    for (const id of ids) {
      const timestamp = this.awaitingMark.get(id);
      if (timestamp === undefined) continue;
      this.awaitingMark.delete(id);
      this.ackSeconds.observe(Math.max(0, now - timestamp) / 1000);
    }
  };

  private collect(
    message: QueuedMessage,
    requests: PersistCandleRequest[],
    owners: string[],
    refused: RejectedCandleEntry[],
  ): void {
    if (SINGLE_CANDLE_TYPES.has(message.type)) {
      requests.push({ payload: message.payload, channel: 'queue', messageId: message.id });
      owners.push(message.id);
      return;
    }
    if (message.type === CANDLE_BATCH_TYPE) {
      const candles = (message.payload as { candles?: unknown } | null)?.candles;
      // Any length: HybridPublisher queues the batches too large for a socket frame, having told
      // its producer they are safe: refusing them here would lose candles the producer let go of.
      if (Array.isArray(candles)) {
        candles.forEach((payload, index) => {
          requests.push({
            payload,
            channel: 'queue',
            messageId: `${message.id}#${index}`,
            batchId: message.id,
          });
          owners.push(message.id);
        });
        return;
      }
      refused.push(
        refusal(
          message,
          'invalid-batch',
          `${CANDLE_BATCH_TYPE} payload must be { candles: FootprintCandle[] }`,
        ),
      );
      return;
    }
    refused.push(refusal(message, 'unknown-message-type', `Unknown message type: ${message.type}`));
  }

  private pauseUntilStorageRecovers(): void {
    if (this.pausedForStorage || !this.started) return;
    this.pausedForStorage = true;
    const poller = this.poller;
    this.logger.warn({}, 'queue consumer paused until storage recovers');
    this.resumeTask = (async () => {
      // Not awaited by handleBatch: the poller's loop is still inside it.
      await poller?.stop();
      if (!this.started) {
        this.pausedForStorage = false;
        return;
      }
      const stopped = new Promise<void>((resolve) => {
        this.wakeOnStop = resolve;
      });
      await Promise.race([this.storageHealth.whenHealthy(), stopped]);
      this.wakeOnStop = undefined;
      this.pausedForStorage = false;
      if (this.started && poller === this.poller) {
        this.logger.info({}, 'queue consumer resumed');
        await poller?.start();
      }
    })().catch((error: unknown) => {
      this.pausedForStorage = false;
      this.logger.error({ err: error }, 'queue consumer could not resume');
    });
  }
}

function refusal(message: QueuedMessage, rule: string, text: string): RejectedCandleEntry {
  return {
    time: new Date().toISOString(),
    channel: 'queue',
    messageId: message.id,
    candleId: undefined,
    reasons: [{ path: 'type', message: text, rule, severity: 'error' }],
    payload: { type: message.type, payload: message.payload },
  };
}
