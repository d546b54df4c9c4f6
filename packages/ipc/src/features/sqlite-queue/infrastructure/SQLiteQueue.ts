import { accessSync, constants, existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { createDirectoriesSync } from '../../../shared/createDirectories';
import { FlowTraceIpcError, InvalidOptionsError } from '../../../shared/errors';
import { parseOptions } from '../../../shared/options';
import {
  QueueClosedError,
  QueueMessageValidationError,
  QueueReadOnlyError,
  QueueUnavailableError,
} from '../domain/errors';
import { queueOptionsSchema, type ResolvedQueueOptions, retryDelayFor } from '../domain/options';
import { LATEST_SCHEMA_VERSION, MIGRATIONS_TABLE } from '../domain/schema';
import type {
  DeadLetter,
  MarkFailedResult,
  QueueConfig,
  QueuedMessage,
  QueueMessage,
  QueueStats,
} from '../domain/types';
import { validateQueueMessage } from '../domain/validation';
import {
  formatLeaseOwner,
  isAbandonedLeaseOwner,
  type LeaseOwner,
  newLeaseOwner,
  retireLeaseOwner,
} from './leaseOwner';
import { migrate } from './migrate';

/** A dead letter put back: pending again, with fresh attempt and delivery counts. */
const REQUEUED =
  'processed = 0, attempts = 0, deliveries = 0, available_at = 0, leased_until = 0, dead_at = NULL';

interface LeasedRow {
  seq: number;
  message_id: string;
  type: string;
  payload: string;
  timestamp: number;
  attempts: number;
  deliveries: number;
  last_error: string | null;
}

interface DeadRow {
  message_id: string;
  type: string;
  payload: string;
  payload_bytes: number;
  timestamp: number;
  attempts: number;
  last_error: string | null;
  dead_at: number | null;
}

interface StatsRow {
  pending: number | null;
  inFlight: number | null;
  delayed: number | null;
  dead: number | null;
  processed: number | null;
  oldest: number | null;
}

/** A dead letter as listDeadLetters returns it. */
export interface ListedDeadLetter extends DeadLetter {
  /**
   * Bytes of the payload as stored. `payload` is its JSON parsed, or the text itself when it is
   * not JSON (a dead letter of a broken producer), so re-encoding it would not give its size.
   */
  payloadBytes: number;
}

/**
 * Durable fallback queue in SQLite, compatible with the original platform's
 * `message_queue` table (see docs/ipc-protocol.md). Producer and consumer may be
 * different processes: WAL + busy timeout; delivery is at-least-once through a
 * lease: a dequeued message that is neither processed nor failed before
 * `leaseMs` is delivered again (e.g. after its consumer was killed). A lease
 * records its holder, so the first dequeue of a queue opened on the same host
 * takes back at once the leases of a consumer process that is gone (a
 * restart after a crash), see leaseOwner.ts.
 *
 * Order: oldest `timestamp` first, messages of one timestamp in the order they
 * were enqueued.
 *
 * Enqueueing an id that already exists (pending, processed or dead) is ignored:
 * the stored row is kept as it is and `enqueue` returns false.
 */
export class SQLiteQueue {
  readonly options: ResolvedQueueOptions;
  private readonly db: Database;
  private closed = false;
  private readonly leaseOwner: LeaseOwner;
  private abandonedLeasesChecked = false;
  private readonly insertStmt: Statement<[string, string, string, number, number]>;
  private readonly candidatesStmt: Statement<{ now: number; limit: number }, { seq: number; bytes: number }>;
  private readonly leaseStmt: Statement<{ until: number; owner: string; seqs: string }>;
  private readonly firstAheadStmt: Statement<[number], string>;
  private readonly lastAheadStmt: Statement<[number], string>;
  private readonly isAheadStmt: Statement<[string, number], number>;
  private readonly processedStmt: Statement<[number, string]>;
  private readonly failedReadStmt: Statement<[string]>;
  private readonly retryStmt: Statement<[number, string, string]>;
  private readonly deadStmt: Statement<[number, string, string]>;

  constructor(config: QueueConfig) {
    this.options = parseOptions('SQLiteQueue', queueOptionsSchema, config);
    this.db = this.open();
    this.leaseOwner = newLeaseOwner();
    this.insertStmt = this.db.prepare(
      'INSERT OR IGNORE INTO message_queue (message_id, type, payload, timestamp, processed, created_at) VALUES (?, ?, ?, ?, 0, ?)',
    );
    // octet_length reads the record header only (SQLite >= 3.43), not the payload's pages: sizing
    // the candidates costs nothing however large their payloads are.
    this.candidatesStmt = this.db.prepare(
      `SELECT rowid AS seq, octet_length(payload) AS bytes FROM message_queue
       WHERE processed = 0 AND available_at <= @now AND leased_until <= @now
       ORDER BY timestamp, rowid LIMIT @limit`,
    );
    this.leaseStmt = this.db.prepare(
      `UPDATE message_queue SET leased_until = @until, leased_by = @owner, deliveries = deliveries + 1
       WHERE rowid IN (SELECT value FROM json_each(@seqs))
       RETURNING rowid AS seq, message_id, type, payload, timestamp, attempts, deliveries, last_error`,
    );
    // "Ahead": not processed, and not failed yet (attempts = 0) or leased now (see firstMessageAhead).
    const ahead = 'processed = 0 AND (attempts = 0 OR leased_until > ?)';
    this.firstAheadStmt = this.db
      .prepare<[number], string>(
        `SELECT message_id FROM message_queue WHERE ${ahead} ORDER BY timestamp, rowid LIMIT 1`,
      )
      .pluck();
    this.lastAheadStmt = this.db
      .prepare<[number], string>(
        `SELECT message_id FROM message_queue WHERE ${ahead} ORDER BY timestamp DESC, rowid DESC LIMIT 1`,
      )
      .pluck();
    this.isAheadStmt = this.db
      .prepare<[string, number], number>(
        `SELECT EXISTS (SELECT 1 FROM message_queue WHERE message_id = ? AND ${ahead})`,
      )
      .pluck();
    this.processedStmt = this.db.prepare(
      'UPDATE message_queue SET processed = 1, processed_at = ?, leased_until = 0 WHERE message_id = ? AND processed = 0',
    );
    this.failedReadStmt = this.db.prepare(
      'SELECT attempts FROM message_queue WHERE message_id = ? AND processed = 0',
    );
    this.retryStmt = this.db.prepare(
      'UPDATE message_queue SET attempts = attempts + 1, available_at = ?, leased_until = 0, last_error = ? WHERE message_id = ?',
    );
    this.deadStmt = this.db.prepare(
      'UPDATE message_queue SET attempts = attempts + 1, processed = 2, dead_at = ?, leased_until = 0, last_error = ? WHERE message_id = ? AND processed = 0',
    );
  }

  /**
   * Durably stores one message (validated). Returns false when the id already
   * existed. Throws QueueMessageValidationError (invalid, or a payload JSON
   * cannot encode) or QueueUnavailableError (the file cannot be written).
   */
  enqueue(message: QueueMessage): boolean {
    this.assertOpen();
    this.assertWritable();
    const m = validateQueueMessage(message);
    const payload = encodePayload(m.payload);
    return this.write(
      () => this.insertStmt.run(m.id, m.type, payload, m.timestamp, nowSeconds()).changes === 1,
    );
  }

  /**
   * Stores all messages in one transaction (all or none). Returns how many
   * were new. An invalid message throws QueueMessageValidationError naming
   * its index in the batch and its id (`batchIndex`, `messageId`).
   */
  enqueueBatch(messages: readonly QueueMessage[]): number {
    this.assertOpen();
    this.assertWritable();
    const valid = messages.map((message, index) => inBatch(index, message, validateQueueMessage));
    const payloads = valid.map((message, index) =>
      inBatch(index, message, (m: QueueMessage) => encodePayload(m.payload)),
    );
    const created = nowSeconds();
    let inserted = 0;
    this.write(() =>
      this.db.transaction(() => {
        valid.forEach((m, i) => {
          inserted += this.insertStmt.run(m.id, m.type, payloads[i] as string, m.timestamp, created).changes;
        });
      })(),
    );
    return inserted;
  }

  /**
   * Leases up to `limit` deliverable messages, oldest timestamp first. A row
   * whose payload is not JSON (a broken producer), or that was already handed
   * out `maxDeliveries` times without an outcome (a poison message that kills
   * its consumer), is dead-lettered, not returned.
   */
  dequeue(limit = 50): QueuedMessage[] {
    return this.lease({ limit }).messages;
  }

  /**
   * `dequeue` bounded also by size: leases messages in order while their
   * payloads (JSON text, bytes) add up to at most `maxBytes`, and always the
   * first one, however large. A consumer's memory then follows the budget,
   * not `limit` times the largest message. `more` is true when deliverable
   * messages were left for the next call by either bound.
   */
  lease(options: { limit: number; maxBytes?: number }): { messages: QueuedMessage[]; more: boolean } {
    this.assertOpen();
    this.assertWritable();
    const { limit } = options;
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new InvalidOptionsError('SQLiteQueue.lease', [`limit: must be a positive integer; got ${limit}`]);
    if (!(maxBytes > 0))
      throw new InvalidOptionsError('SQLiteQueue.lease', [`maxBytes: must be positive; got ${maxBytes}`]);
    if (!this.abandonedLeasesChecked) {
      this.abandonedLeasesChecked = true;
      this.releaseAbandonedLeases();
    }
    const now = Date.now();
    const owner = formatLeaseOwner(this.leaseOwner);
    let more = false;
    const rows = this.consumerWrite(() =>
      this.db
        .transaction(() => {
          const candidates = this.candidatesStmt.all({ now, limit });
          let chosen = 0;
          let bytes = 0;
          while (chosen < candidates.length) {
            bytes += candidates[chosen]!.bytes;
            if (chosen > 0 && bytes > maxBytes) break;
            chosen += 1;
          }
          more = chosen < candidates.length || candidates.length >= limit;
          if (chosen === 0) return [];
          const seqs = JSON.stringify(candidates.slice(0, chosen).map((candidate) => candidate.seq));
          return this.leaseStmt.all({ until: now + this.options.leaseMs, owner, seqs }) as LeasedRow[];
        })
        .immediate(),
    );
    // RETURNING gives no order: the lease's own order again (timestamp, then enqueue order).
    rows.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
    const messages: QueuedMessage[] = [];
    for (const row of rows) {
      // Only deliveries that ended without an outcome count: each markFailed is one attempt, so
      // a message failing retryably (e.g. under unlimited maxAttempts) is never taken for poison.
      const unanswered = row.deliveries - row.attempts;
      if (unanswered > this.options.maxDeliveries) {
        this.consumerWrite(() =>
          this.deadLetter(
            row.message_id,
            `delivered ${unanswered - 1} times without being processed or failed (consumer crashing or lease too short)`,
          ),
        );
        continue;
      }
      let payload: unknown;
      try {
        payload = JSON.parse(row.payload);
      } catch (error) {
        this.consumerWrite(() =>
          this.deadLetter(row.message_id, `payload is not valid JSON: ${(error as Error).message}`),
        );
        continue;
      }
      messages.push({
        id: row.message_id,
        type: row.type,
        payload,
        timestamp: row.timestamp,
        attempts: row.attempts,
        deliveries: row.deliveries,
        lastError: row.last_error ?? undefined,
      });
    }
    return { messages, more };
  }

  /**
   * Ends the leases held by consumer processes of this host that are gone
   * (killed, crashed), so their messages are delivered again now and in their
   * order, not after the lease expired and behind newer messages. Leases of
   * live or unverifiable owners are kept. The first `dequeue` of every queue
   * runs it; call it again to check later. Returns how many leases ended.
   */
  releaseAbandonedLeases(): number {
    this.assertOpen();
    this.assertWritable();
    const now = Date.now();
    const owners = this.db
      .prepare(
        'SELECT DISTINCT leased_by AS owner FROM message_queue WHERE processed = 0 AND leased_until > ? AND leased_by IS NOT NULL',
      )
      .all(now) as Array<{ owner: string }>;
    const abandoned = owners.map((row) => row.owner).filter(isAbandonedLeaseOwner);
    if (abandoned.length === 0) return 0;
    const release = this.db.prepare(
      'UPDATE message_queue SET leased_until = 0 WHERE processed = 0 AND leased_until > ? AND leased_by = ?',
    );
    let released = 0;
    this.consumerWrite(() =>
      this.db
        .transaction(() => {
          for (const owner of abandoned) released += release.run(now, owner).changes;
        })
        .immediate(),
    );
    return released;
  }

  /**
   * The id of the first message, in delivery order, that is "ahead": the
   * consumer has not failed it yet (never delivered, or delivered and not
   * answered: leased, including one being retried right now); undefined when
   * none is. A producer that wants its messages consumed in order must not
   * send past its own messages ahead (HybridPublisher's `preserveOrder`), and
   * sees the consumer's progress when this id changes. Messages waiting for a
   * retry after a failure (`markFailed`) are not ahead: they are already out
   * of order, and one that fails until an operator acts (a quarantined
   * partition) would otherwise hold every producer back.
   */
  firstMessageAhead(): string | undefined {
    this.assertOpen();
    return this.firstAheadStmt.get(Date.now());
  }

  /** The id of the last message ahead in delivery order (see firstMessageAhead). */
  lastMessageAhead(): string | undefined {
    this.assertOpen();
    return this.lastAheadStmt.get(Date.now());
  }

  /** Whether message `id` is still ahead (see firstMessageAhead): false once processed, failed or dead. */
  isMessageAhead(id: string): boolean {
    this.assertOpen();
    return this.isAheadStmt.get(id, Date.now()) === 1;
  }

  /** Marks messages processed (one transaction). Returns how many changed. */
  markProcessed(idOrIds: string | readonly string[]): number {
    this.assertOpen();
    this.assertWritable();
    const ids = typeof idOrIds === 'string' ? [idOrIds] : idOrIds;
    const at = nowSeconds();
    let changed = 0;
    this.consumerWrite(() =>
      this.db.transaction(() => {
        for (const id of ids) changed += this.processedStmt.run(at, id).changes;
      })(),
    );
    return changed;
  }

  /**
   * Records a failed delivery: the message is retried after a doubling delay,
   * or becomes a dead letter once it failed `maxAttempts` times.
   */
  markFailed(id: string, error: unknown): MarkFailedResult {
    this.assertOpen();
    this.assertWritable();
    const reason = error instanceof Error ? error.message : String(error);
    return this.consumerWrite(() => this.markFailedTx(id, reason));
  }

  private markFailedTx(id: string, reason: string): MarkFailedResult {
    return this.db
      .transaction((): MarkFailedResult => {
        const row = this.failedReadStmt.get(id) as { attempts: number } | undefined;
        if (!row) return { found: false, attempts: 0, dead: false };
        const attempts = row.attempts + 1;
        const now = Date.now();
        if (attempts >= this.options.maxAttempts) {
          this.deadStmt.run(now, reason, id);
          return { found: true, attempts, dead: true };
        }
        const delay = retryDelayFor(attempts, this.options.retryDelayMs, this.options.maxRetryDelayMs);
        this.retryStmt.run(now + delay, reason, id);
        return { found: true, attempts, dead: false };
      })
      .immediate();
  }

  /**
   * Dead-letters a message at once (a permanent failure, e.g. it can never be
   * valid): kept and listable like any dead letter. Returns false when the id
   * was unknown or not pending.
   */
  markDead(id: string, error: unknown): boolean {
    this.assertOpen();
    this.assertWritable();
    const reason = error instanceof Error ? error.message : String(error);
    return this.consumerWrite(() => this.deadStmt.run(Date.now(), reason, id).changes === 1);
  }

  /** Dead letters, oldest first. They stay until requeued or explicitly deleted. */
  listDeadLetters(limit = 100): ListedDeadLetter[] {
    this.assertOpen();
    const rows = this.db
      .prepare(
        'SELECT message_id, type, payload, octet_length(payload) AS payload_bytes, timestamp, attempts, last_error, dead_at FROM message_queue WHERE processed = 2 ORDER BY dead_at, timestamp LIMIT ?',
      )
      .all(limit) as DeadRow[];
    return rows.map((r) => ({
      id: r.message_id,
      type: r.type,
      payload: safeJson(r.payload),
      payloadBytes: r.payload_bytes,
      timestamp: r.timestamp,
      attempts: r.attempts,
      lastError: r.last_error ?? undefined,
      deadAt: r.dead_at ?? 0,
    }));
  }

  /**
   * Puts a dead letter back in the queue with fresh attempt and delivery
   * counts (kept, the deliveries of a poison message would dead-letter it
   * again at its next dequeue, before anyone saw it).
   */
  requeueDeadLetter(id: string): boolean {
    this.assertOpen();
    this.assertWritable();
    return (
      this.db.prepare(`UPDATE message_queue SET ${REQUEUED} WHERE message_id = ? AND processed = 2`).run(id)
        .changes === 1
    );
  }

  /**
   * Puts every dead letter back at once (one statement, so one that is
   * dead-lettered again meanwhile is not requeued twice); returns how many.
   */
  requeueAllDeadLetters(): number {
    this.assertOpen();
    this.assertWritable();
    return this.db.prepare(`UPDATE message_queue SET ${REQUEUED} WHERE processed = 2`).run().changes;
  }

  /** Deletes dead letters by id (an explicit operator decision). */
  deleteDeadLetters(ids: readonly string[]): number {
    this.assertOpen();
    this.assertWritable();
    const stmt = this.db.prepare('DELETE FROM message_queue WHERE message_id = ? AND processed = 2');
    let deleted = 0;
    this.db.transaction(() => {
      for (const id of ids) deleted += stmt.run(id).changes;
    })();
    return deleted;
  }

  /**
   * Deletes processed messages older than `hours` (default retentionHours),
   * at most `maxRows` of them (default all).
   * Pending messages and dead letters are never deleted here; stats().dead
   * reports the latter. Returns how many rows were deleted. Throws
   * InvalidOptionsError, deleting nothing, when `hours` is negative or not
   * finite, or `maxRows` negative or NaN.
   */
  cleanup(hours: number = this.options.retentionHours, maxRows = Number.POSITIVE_INFINITY): number {
    this.assertOpen();
    this.assertWritable();
    // A negative age would delete rows processed moments ago (their ids then no longer deduplicate),
    // a NaN one nothing, and a NaN maxRows would take the unbounded path below.
    const problems: string[] = [];
    if (typeof hours !== 'number' || !Number.isFinite(hours) || hours < 0)
      problems.push(`hours: must be a finite number >= 0; got ${String(hours)}`);
    if (typeof maxRows !== 'number' || Number.isNaN(maxRows) || maxRows < 0)
      problems.push(`maxRows: must be a number >= 0 (Infinity: all); got ${String(maxRows)}`);
    if (problems.length > 0) throw new InvalidOptionsError('SQLiteQueue.cleanup', problems);
    const cutoff = nowSeconds() - Math.floor(hours * 3600);
    if (!Number.isFinite(maxRows))
      return this.db.prepare('DELETE FROM message_queue WHERE processed = 1 AND processed_at < ?').run(cutoff)
        .changes;
    // At most maxRows per call (one short write transaction), through the (processed, processed_at) index.
    return this.db
      .prepare(
        `DELETE FROM message_queue WHERE rowid IN
           (SELECT rowid FROM message_queue WHERE processed = 1 AND processed_at < ? LIMIT ?)`,
      )
      .run(cutoff, Math.max(0, Math.floor(maxRows))).changes;
  }

  stats(): QueueStats {
    this.assertOpen();
    const now = Date.now();
    const row = this.db
      .prepare(
        `SELECT
           SUM(processed = 0 AND leased_until <= @now) AS pending,
           SUM(processed = 0 AND leased_until > @now) AS inFlight,
           SUM(processed = 0 AND leased_until <= @now AND available_at > @now) AS delayed,
           SUM(processed = 2) AS dead,
           SUM(processed = 1) AS processed,
           MIN(CASE WHEN processed = 0 THEN timestamp END) AS oldest
         FROM message_queue`,
      )
      .get({ now }) as StatsRow;
    return {
      pending: row.pending ?? 0,
      inFlight: row.inFlight ?? 0,
      delayed: row.delayed ?? 0,
      dead: row.dead ?? 0,
      processed: row.processed ?? 0,
      oldestPendingAgeMs: row.oldest === null ? null : Math.max(0, now - row.oldest),
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    retireLeaseOwner(this.leaseOwner);
    this.db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Runs a consumer-side write (lease, processed, failed, dead letter) with
   * synchronous=NORMAL: its commit is not fsync'd on its own but by the next
   * FULL commit, and survives a process crash. Losing one to a power cut can
   * only cause a redelivery (at-least-once, consumers deduplicate by id),
   * never a loss, so it need not pay an fsync per batch. Enqueues stay FULL.
   */
  private consumerWrite<T>(write: () => T): T {
    if (this.options.durability !== 'full') return write();
    this.db.pragma('synchronous = NORMAL');
    try {
      return write();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  /**
   * Opens the file (creating its directory, as the service does for its own
   * end) and brings it to the latest schema. SQLite and filesystem failures
   * become QueueUnavailableError.
   */
  private open(): Database {
    const { dbPath } = this.options;
    if (this.options.readOnly) return this.openReadOnly();
    let db: Database | undefined;
    try {
      createDirectoriesSync(dirname(dbPath), 'the queue directory'); // not the recursive mkdir: it spins on procfs
      db = new BetterSqlite3(dbPath);
      db.pragma(`busy_timeout = ${this.options.busyTimeoutMs}`);
      // Only a brand-new file can take a page size (before WAL and the first
      // table); existing files keep theirs. 16 KiB pages hold ~15 rows of 1 KB
      // payload instead of 3, which makes batched inserts ~25% faster here.
      if (db.pragma('page_count', { simple: true }) === 0) db.pragma(`page_size = ${this.options.pageSize}`);
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${this.options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
      migrate(db);
      return db;
    } catch (error) {
      db?.close();
      if (error instanceof FlowTraceIpcError) throw error;
      throw new QueueUnavailableError(`Cannot open queue ${dbPath}: ${(error as Error).message}`, error);
    }
  }

  /** readOnly: the file as it is, checked to hold the current schema; nothing created or written. */
  private openReadOnly(): Database {
    const { dbPath } = this.options;
    let db: Database | undefined;
    try {
      db = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
      db.pragma(`busy_timeout = ${this.options.busyTimeoutMs}`);
      const hasQueue = db
        .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('message_queue', ?)")
        .pluck()
        .get(MIGRATIONS_TABLE) as number;
      if (hasQueue !== 2)
        throw new Error('not a queue database (no message_queue table or no schema version)');
      const version = db.prepare(`SELECT MAX(version) FROM ${MIGRATIONS_TABLE}`).pluck().get() as
        | number
        | null;
      if (version !== LATEST_SCHEMA_VERSION)
        throw new Error(
          `its schema is version ${version ?? 0}, this version reads ${LATEST_SCHEMA_VERSION}: open it read-write once (the daemon does at start)`,
        );
      return db;
    } catch (error) {
      db?.close();
      throw new QueueUnavailableError(
        `Cannot open queue ${dbPath} read-only: ${(error as Error).message}${walFilesHint(dbPath, error)}`,
        error,
      );
    }
  }

  /** A producer-side write: SQLite failures (disk full, read-only, I/O) become QueueUnavailableError. */
  private write<T>(run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof FlowTraceIpcError) throw error;
      throw new QueueUnavailableError(
        `Cannot write to queue ${this.options.dbPath}: ${(error as Error).message}`,
        error,
      );
    }
  }

  private deadLetter(id: string, reason: string): void {
    this.db
      .prepare(
        'UPDATE message_queue SET processed = 2, dead_at = ?, leased_until = 0, last_error = ? WHERE message_id = ?',
      )
      .run(Date.now(), reason, id);
  }

  private assertWritable(): void {
    if (this.options.readOnly)
      throw new QueueReadOnlyError(`Queue ${this.options.dbPath} is open read-only (readOnly: true)`);
  }

  private assertOpen(): void {
    if (this.closed) throw new QueueClosedError(`Queue ${this.options.dbPath} is closed`);
  }
}

/**
 * The payload column's JSON text. A payload JSON cannot encode is invalid: a
 * BigInt or a cycle makes JSON.stringify throw, and a function or a symbol
 * encodes to nothing (stored as NULL, `INSERT OR IGNORE` would drop the row
 * silently while reporting success).
 */
function encodePayload(payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (error) {
    throw new QueueMessageValidationError([
      `payload: cannot be encoded as JSON: ${(error as Error).message}`,
    ]);
  }
  if (json === undefined) {
    throw new QueueMessageValidationError([`payload: cannot be encoded as JSON (a ${typeof payload})`]);
  }
  return json;
}

/**
 * `check(message)`, whose QueueMessageValidationError is thrown again naming
 * the message's index in the batch and its id: otherwise one bad message
 * among thousands could not be found.
 */
function inBatch<T>(index: number, message: QueueMessage, check: (message: QueueMessage) => T): T {
  try {
    return check(message);
  } catch (error) {
    if (!(error instanceof QueueMessageValidationError)) throw error;
    const id: unknown = (message as { id?: unknown } | null)?.id;
    throw new QueueMessageValidationError(
      error.problems,
      index,
      typeof id === 'string' && id.length > 0 ? id : undefined,
    );
  }
}

/** The original platform stores processed_at and created_at in epoch seconds. */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * What a read-only open that failed for want of the WAL files needs. SQLite reads a WAL database
 * through `-wal` and `-shm` files beside it and creates them when they are missing (no connection
 * has it open: the daemon is stopped), even read-only, which fails without write access to the
 * directory (SQLITE_READONLY_DIRECTORY, or SQLITE_CANTOPEN for a missing -shm). SQLite's way
 * around it, the `immutable=1` URI parameter, is out of reach: better-sqlite3 builds SQLite with
 * SQLITE_USE_URI=0 and opens without SQLITE_OPEN_URI, so a `file:` name is taken literally. And
 * reading a copy of the file into memory would cost its size (a queue keeps processed batches).
 * Empty when the failure has another cause.
 */
function walFilesHint(dbPath: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN'))
    return '';
  if (existsSync(`${dbPath}-wal`) && existsSync(`${dbPath}-shm`)) return '';
  const directory = dirname(dbPath);
  try {
    accessSync(directory, constants.W_OK);
    return ''; // it could have created them: something else failed
  } catch {
    const name = basename(dbPath);
    return (
      ` (SQLite reads it through ${name}-wal and ${name}-shm beside it and creates them when they are missing, as when the daemon is stopped:` +
      ` that needs write access to ${directory}; or look while the daemon runs, or at a copy in a directory you can write)`
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
