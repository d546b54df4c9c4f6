import type { IPCMessage } from '../../../shared/types';

/** A message as producers enqueue it: the wire envelope `{id, type, payload, timestamp}`. */
export type QueueMessage<TPayload = unknown> = IPCMessage<TPayload>;

/** A dequeued message with its delivery bookkeeping. */
export interface QueuedMessage<TPayload = unknown> extends QueueMessage<TPayload> {
  /** Failures recorded by markFailed so far. */
  attempts: number;
  /** Times the message was handed out by dequeue, this one included. */
  deliveries: number;
  /** Message of the last recorded failure, if any. */
  lastError: string | undefined;
}

export interface DeadLetter extends QueueMessage {
  attempts: number;
  lastError: string | undefined;
  /** Epoch ms when it was dead-lettered. */
  deadAt: number;
}

/**
 * `full` (default): every enqueue/commit is fsync'd before it returns
 * (synchronous=FULL). `batched`: synchronous=NORMAL; in WAL mode a commit
 * survives a crash of the process but the last commits may be lost on power
 * loss or an OS crash, in exchange for far fewer fsyncs.
 */
export type QueueDurability = 'full' | 'batched';

export interface QueueConfig {
  dbPath: string;
  /** Default age for cleanup(): processed rows older than this are deleted. Default 24. */
  retentionHours?: number;
  durability?: QueueDurability;
  /** How long a writer waits for another process's lock. Default 5000. */
  busyTimeoutMs?: number;
  /** A dequeued message not marked within this long is delivered again. Default 30000. */
  leaseMs?: number;
  /** Failures after which a message becomes a dead letter. Default 5. */
  maxAttempts?: number;
  /**
   * Deliveries after which a message that was never marked (its consumer
   * keeps dying or its lease keeps expiring) becomes a dead letter instead of
   * being handed out again. Default 20.
   */
  maxDeliveries?: number;
  /** SQLite page size of a queue file this creates (existing files keep theirs). Default 16384. */
  pageSize?: number;
  /** Delay before the first retry; doubles per failure. Default 1000. */
  retryDelayMs?: number;
  /** Cap of the retry delay. Default 60000. */
  maxRetryDelayMs?: number;
  /**
   * Opens an existing queue to look at it only (`stats`, `listDeadLetters`,
   * `firstMessageAhead`…): nothing is created, migrated or written, so it
   * works without write access to the file and never changes it. (SQLite
   * reads a WAL database through `-wal` and `-shm` files beside it and
   * creates them when no connection has it open, which needs write access
   * to the directory: without it, the open fails with a message saying so.)
   * Every method that
   * writes throws QueueReadOnlyError. The file must exist and hold the
   * current schema (a read-write open, e.g. the daemon's, migrates it).
   * Default false.
   */
  readOnly?: boolean;
}

export interface QueueStats {
  /** Not processed and not leased (includes those waiting for a retry delay). */
  pending: number;
  /** Dequeued, lease not yet expired. */
  inFlight: number;
  /** Pending but waiting for their retry delay. */
  delayed: number;
  dead: number;
  processed: number;
  /** Age in ms of the oldest unprocessed message (by its timestamp), null when none. */
  oldestPendingAgeMs: number | null;
}

export interface MarkFailedResult {
  /** False when the id was unknown or already processed/dead. */
  found: boolean;
  attempts: number;
  dead: boolean;
}

/** Values of the `processed` column. 0 and 1 are the original platform's. */
export const ProcessedState = { Pending: 0, Processed: 1, Dead: 2 } as const;
