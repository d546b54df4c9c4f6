import { z } from 'zod';
import { parseOptions } from '../../../shared/options';
import { pollerOptionsSchema } from '../domain/options';
import type { QueuedMessage } from '../domain/types';
import type { SQLiteQueue } from './SQLiteQueue';

/** Outcome of one message of a batch handed to `onBatch`. */
export type MessageOutcome = { id: string; ok: true } | { id: string; ok: false; error: unknown };

export interface SQLiteQueuePollerConfig {
  queue: SQLiteQueue;
  /** Wait between polls when the queue was empty or a batch was short. Default 1000. */
  pollInterval?: number;
  /** Messages leased per poll. Default 50. */
  batchSize?: number;
  /**
   * Payload bytes (JSON text) leased per poll, at most: a poll takes fewer
   * than `batchSize` messages when they are large (always one, however
   * large), so memory follows this bound rather than `batchSize` times the
   * largest message. Default 16 MiB.
   */
  maxBatchBytes?: number;
  /**
   * Handles one message; resolve = processed, reject = markFailed (retried
   * later), or a dead letter at once when the error has `retryable: false`.
   */
  onMessage?: (message: QueuedMessage) => Promise<void> | void;
  /**
   * Handles a whole batch at once (e.g. one group commit). Return an outcome
   * per message; returning nothing means all succeeded, throwing means all
   * failed, and a message without an outcome counts as failed.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an `async () => {}` consumer (all succeeded) must type-check
  onBatch?: (messages: readonly QueuedMessage[]) => Promise<readonly MessageOutcome[] | undefined | void>;
  /** Called when a poll itself fails (e.g. the database is locked past busy timeout). */
  onError?: (error: unknown) => void;
  /**
   * How often processed messages older than the queue's `retentionHours` are
   * deleted (`queue.cleanup()`), in ms; 0 never. Default 3,600,000 (hourly, and
   * once at start). Without it a queue database grows by every message ever
   * processed. The rows kept for `retentionHours` are what makes a re-published
   * id a no-op (INSERT OR IGNORE).
   */
  cleanupIntervalMs?: number;
}

export interface PollerStats {
  polls: number;
  processed: number;
  failed: number;
  deadLettered: number;
  /** Processed messages deleted after their retention (cleanupIntervalMs). */
  cleanedUp: number;
}

/** The queue methods a poll calls. */
const QUEUE_METHODS = ['lease', 'markProcessed', 'markFailed', 'markDead', 'cleanup'] as const;

function isQueue(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    QUEUE_METHODS.every((method) => typeof (value as Record<string, unknown>)[method] === 'function')
  );
}

function describeValue(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** A handler option: a function when given. */
const handler = <T>() =>
  z
    .custom<T>()
    .refine((value) => typeof value === 'function', {
      error: (issue) => `must be a function; got ${describeValue(issue.input)}`,
    })
    .optional();

/**
 * The whole config, so that every problem is listed at once. Without a queue every poll would fail
 * (only onError, if any, would tell), and without a handler the first batch would; so both are
 * refused here. Structural (the methods a poll calls) rather than `instanceof`, which a second
 * copy of this package (its ESM and CJS builds) would fail. `z.custom().refine()` rather than a
 * `z.custom(check)`: a failed custom check stops zod before the handler check below.
 */
const pollerConfigSchema = pollerOptionsSchema
  .extend({
    queue: z.custom<SQLiteQueue>().refine(isQueue, {
      error: (issue) => `must be an SQLiteQueue; got ${describeValue(issue.input)}`,
    }),
    onMessage: handler<SQLiteQueuePollerConfig['onMessage']>(),
    onBatch: handler<SQLiteQueuePollerConfig['onBatch']>(),
    onError: handler<SQLiteQueuePollerConfig['onError']>(),
  })
  .refine((config) => config.onMessage !== undefined || config.onBatch !== undefined, {
    error: 'onMessage or onBatch is required (neither was given)',
    // Also when other options are wrong (zod skips it otherwise), but only on an object.
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

/** Rows one cleanup deletes at most: a short write transaction, even after months of backlog. */
const CLEANUP_CHUNK_ROWS = 5_000;

/**
 * Drains a SQLiteQueue: leases a batch, hands it to the consumer, then marks each
 * message processed only after its handler resolved, and failed (retry or dead
 * letter) when it rejected. Never marks a message it did not see succeed.
 */
export class SQLiteQueuePoller {
  private readonly queue: SQLiteQueue;
  private readonly pollInterval: number;
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private readonly config: SQLiteQueuePollerConfig;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** pollSoon() was called during a poll: poll again right after it instead of waiting. */
  private pollAgain = false;
  private loop: Promise<void> | undefined;
  private readonly counters: PollerStats = {
    polls: 0,
    processed: 0,
    failed: 0,
    deadLettered: 0,
    cleanedUp: 0,
  };
  private readonly cleanupIntervalMs: number;
  private nextCleanupAt = 0;
  /**
   * Outcomes a queue write could not record (e.g. disk I/O error): their rows
   * stay leased, so they are recorded first at the next poll instead of
   * waiting for the lease to expire and the batch to be handled again.
   */
  private unrecorded: MessageOutcome[] = [];

  constructor(config: SQLiteQueuePollerConfig) {
    const parsed = parseOptions('SQLiteQueuePoller', pollerConfigSchema, config);
    this.queue = parsed.queue;
    this.pollInterval = parsed.pollInterval;
    this.batchSize = parsed.batchSize;
    this.maxBatchBytes = parsed.maxBatchBytes;
    this.cleanupIntervalMs = parsed.cleanupIntervalMs;
    this.config = config;
  }

  get isRunning(): boolean {
    return this.running;
  }

  stats(): PollerStats {
    return { ...this.counters };
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops polling and waits for the batch in flight to be handled and marked. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * Polls as soon as it can: at once when waiting for `pollInterval`, right
   * after the poll in progress otherwise (its lease may have missed what was
   * just queued). For a producer's "I queued something" hint (a socket
   * `queue:poll` message). No effect while stopped; returns whether it was running.
   */
  pollSoon(): boolean {
    if (!this.running) return false;
    if (this.wake) this.wake();
    else this.pollAgain = true;
    return true;
  }

  /** Polls once (leases, handles, marks); returns how many messages were leased. */
  async pollOnce(): Promise<number> {
    return (await this.poll()).leased;
  }

  /** One poll; `more`: deliverable messages were left behind (a full batch, or one cut by size). */
  private async poll(): Promise<{ leased: number; more: boolean }> {
    this.counters.polls++;
    if (this.unrecorded.length > 0) this.record(this.unrecorded.splice(0), false);
    const { messages, more } = this.queue.lease({ limit: this.batchSize, maxBytes: this.maxBatchBytes });
    if (messages.length === 0) return { leased: 0, more };
    const outcomes = this.config.onBatch ? await this.runBatch(messages) : await this.runEach(messages);
    this.record(outcomes, true);
    return { leased: messages.length, more };
  }

  /** Marks each outcome in the queue; what a failing write leaves unrecorded is kept for the next poll. */
  private record(outcomes: readonly MessageOutcome[], count: boolean): void {
    if (count) for (const outcome of outcomes) if (!outcome.ok) this.counters.failed++;
    const succeeded: MessageOutcome[] = [];
    let index = 0;
    try {
      for (; index < outcomes.length; index += 1) {
        const outcome = outcomes[index]!;
        if (outcome.ok) {
          succeeded.push(outcome);
          continue;
        }
        if (isPermanent(outcome.error)) {
          // Retrying cannot help (the error says retryable: false): dead-letter now.
          if (this.queue.markDead(outcome.id, outcome.error)) this.counters.deadLettered++;
        } else if (this.queue.markFailed(outcome.id, outcome.error).dead) {
          this.counters.deadLettered++;
        }
      }
      if (succeeded.length > 0) {
        this.counters.processed += this.queue.markProcessed(succeeded.map((outcome) => outcome.id));
        succeeded.length = 0;
      }
    } catch (error) {
      // Not recorded: the successes seen so far and everything from `index` on (the one that threw included).
      this.unrecorded.push(...succeeded, ...outcomes.slice(index));
      throw error;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let more = false;
      this.pollAgain = false;
      try {
        ({ more } = await this.poll());
      } catch (error) {
        this.config.onError?.(error);
      }
      if (!this.running) break;
      this.cleanupWhenDue();
      // A full batch, or one cut short by maxBatchBytes; or pollSoon() during the poll.
      if (more || this.pollAgain) continue;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.pollInterval);
      });
      // Woken early (pollSoon, stop): the timer must not hold the process for the rest of the interval.
      clearTimeout(this.timer);
      this.wake = undefined;
      this.timer = undefined;
    }
  }

  /** Deletes a chunk of expired processed rows when due; again at the next turn while more remain. */
  private cleanupWhenDue(): void {
    if (this.cleanupIntervalMs === 0 || Date.now() < this.nextCleanupAt) return;
    try {
      const deleted = this.queue.cleanup(undefined, CLEANUP_CHUNK_ROWS);
      this.counters.cleanedUp += deleted;
      this.nextCleanupAt = deleted >= CLEANUP_CHUNK_ROWS ? 0 : Date.now() + this.cleanupIntervalMs;
    } catch (error) {
      // A locked or failing database: try again at the next interval, not at every poll.
      this.nextCleanupAt = Date.now() + this.cleanupIntervalMs;
      this.config.onError?.(error);
    }
  }

  private async runEach(messages: readonly QueuedMessage[]): Promise<MessageOutcome[]> {
    const onMessage = this.config.onMessage as NonNullable<SQLiteQueuePollerConfig['onMessage']>;
    const outcomes: MessageOutcome[] = [];
    for (const message of messages) {
      try {
        await onMessage(message);
        outcomes.push({ id: message.id, ok: true });
      } catch (error) {
        outcomes.push({ id: message.id, ok: false, error });
      }
    }
    return outcomes;
  }

  private async runBatch(messages: readonly QueuedMessage[]): Promise<MessageOutcome[]> {
    const onBatch = this.config.onBatch as NonNullable<SQLiteQueuePollerConfig['onBatch']>;
    let reported: readonly MessageOutcome[] | undefined;
    try {
      reported = (await onBatch(messages)) ?? undefined;
    } catch (error) {
      return messages.map((m) => ({ id: m.id, ok: false, error }));
    }
    if (!reported) return messages.map((m) => ({ id: m.id, ok: true }));
    const byId = new Map(reported.map((o) => [o.id, o]));
    return messages.map(
      (m) =>
        byId.get(m.id) ?? {
          id: m.id,
          ok: false,
          error: new Error('onBatch reported no outcome for this message'),
        },
    );
  }
}

function isPermanent(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === false
  );
}
